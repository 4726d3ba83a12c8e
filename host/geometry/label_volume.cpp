// Label maps: the format-independent parts and the reader's choice of
// format by file name (the formats: nifti.cpp, metaimage.cpp).
#include "host/geometry/label_volume.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "host/geometry/label_volume_common.hpp"

namespace cyto {

std::array<double, 3> LabelVolume::spacing() const {
  std::array<double, 3> s{};
  for (int c = 0; c < 3; ++c) {
    s[c] = std::sqrt(index_to_world[c] * index_to_world[c] + index_to_world[4 + c] * index_to_world[4 + c] +
                     index_to_world[8 + c] * index_to_world[8 + c]);
  }
  return s;
}

LabelVolume read_label_volume(const std::string& path, double unit_if_unspecified_m) {
  if (!(unit_if_unspecified_m > 0.0) || !std::isfinite(unit_if_unspecified_m)) {
    throw std::invalid_argument(fmt::format(
        "read_label_volume: unit_if_unspecified_m = {} is not a positive length", unit_if_unspecified_m));
  }
  using label_io::ends_with;
  const std::string name = label_io::lower(path);
  if (ends_with(name, ".nii") || ends_with(name, ".nii.gz"))
    return label_io::read_nifti(path, unit_if_unspecified_m);
  if (ends_with(name, ".mhd") || ends_with(name, ".mha"))
    return label_io::read_metaimage(path, unit_if_unspecified_m);
  if (ends_with(name, ".hdr") || ends_with(name, ".img")) {
    label_io::bad(path, "not supported: NIfTI/Analyze pair (.hdr/.img); convert to .nii");
  }
  label_io::bad(path, "unknown label volume format; expected .nii, .nii.gz, .mhd or .mha");
}

}  // namespace cyto
