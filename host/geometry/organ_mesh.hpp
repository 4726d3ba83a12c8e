// Procedural closed surfaces, watertight and outward-oriented by
// construction: a geodesic sphere (for tests of the voxeliser) and a
// multi-lobed, organ-like shape (so that the default scenario runs on an
// organ surface without any external data; `cytostorm make-organ`).
#pragma once

#include "host/geometry/mesh_io.hpp"

namespace cyto {

// An icosahedron subdivided `subdivisions` times (20 * 4^s triangles) with
// its vertices on the sphere: a polyhedron inscribed in the sphere.
TriangleMesh make_icosphere(int subdivisions, double radius, const std::array<double, 3>& centre);

// A liver-like organ: a smooth union of four ellipsoidal lobes (a large
// right lobe, a flatter left lobe, two small caudal lobes), star-shaped
// about its centre, so projecting a geodesic sphere onto it gives a closed
// surface. About 4 x 3 x 1.8 units; 20 * 4^s triangles.
TriangleMesh make_lobed_organ(int subdivisions);

}  // namespace cyto
