// The scenario reader, one function per top-level section, in the order
// read_scenario (config.cpp) calls them. Each adds its section to
// Reading::s, checking it against the sections read before.
#pragma once

#include "host/scenario/read_context.hpp"

namespace cyto::reader {

// grid, tissues, geometry (read_grid_geometry.cpp)
void read_grid(Reading& r, const Field& f);
void read_tissues(Reading& r, const Field& f);
void read_geometry(Reading& r, const Field& f);

// species, sources, boundaries (read_transport.cpp)
void read_species(Reading& r, const Field& f);
void read_sources(Reading& r, const Field& f);
void read_boundaries(Reading& r, const Field& f);

// populations (with their seeding) and rules (read_cell_model.cpp, read_rules.cpp)
void read_populations(Reading& r, const Field& f);
void read_rules(Reading& r, const Field& f);

// organs and plasma (read_plasma.cpp); infusions and therapies (read_doses.cpp)
void read_organs(Reading& r, const Field& f);
void read_plasma(Reading& r, const Field& f);
void read_infusions(Reading& r, const Field& f);
void read_therapies(Reading& r, const Field& f);

// time, output, checkpoint (read_run_settings.cpp)
void read_time(Reading& r, const Field& f);
void read_output(Reading& r, const Field& f);
void read_checkpoint(Reading& r, const Field& f);

}  // namespace cyto::reader
