#include "host/core/build_info.hpp"

#include "host/parallel/parallel.hpp"

namespace cyto {

nlohmann::json build_info_json() {
  const BuildInfo b = build_info();
  return {{"version", b.version},
          {"commit", b.commit},
          {"build_type", b.build_type},
          {"compiler", b.compiler},
          {"cxx_flags", b.cxx_flags},
          {"native_arch", b.native_arch},
          {"cuda_compiled", b.cuda_compiled},
          {"cuda_architectures", b.cuda_architectures},
          {"mpi_compiled", par::built_with_mpi()}};
}

}  // namespace cyto
