// Labelled image volumes (organ label maps) from NIfTI-1 and MetaImage files,
// with their voxel spacing, unit and orientation; writers for tests and tools.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "host/core/error.hpp"

namespace cyto {

// A label map on a (possibly rotated) regular grid. Voxel (i,j,k) has its CENTRE at world position
// index_to_world * (i, j, k, 1), in metres; labels are stored x (i) fastest.
//
// The world frame is LPS, for every format: +x toward the patient's left, +y posterior, +z superior
// (DICOM's and ITK's frame, and MetaImage's). NIfTI's sform and qform are RAS: the reader negates x
// and y, and the writer negates them back. A NIfTI without orientation (qform_code = sform_code = 0)
// has no frame and keeps its axes, as meshes do.
struct LabelVolume {
  std::array<int, 3> dims{0, 0, 0};
  std::array<double, 12> index_to_world{};  // row-major 3x4 affine, metres
  std::vector<std::int32_t> labels;
  std::string format;              // e.g. "NIfTI-1 (int16)" or "MetaImage (MET_UCHAR, zlib)"
  std::vector<std::string> notes;  // non-fatal findings to show the user, e.g. a corrected header value
  double unit = 1e-3;              // metres per file unit, as applied to index_to_world
  bool unit_from_file = false;     // the header names the unit (NIfTI xyzt_units); else it was assumed
  std::array<double, 3> spacing() const;  // column norms of the 3x3 part, metres
};

// Reads .nii, .nii.gz, .mhd, .mha (extension decides, case-insensitive; else InputError listing them).
// `unit_if_unspecified_m`: length of one file unit in metres when the file does not say
// (MetaImage never does; NIfTI with xyzt_units == 0). Use 1e-3 (mm) as the caller's default.
// Every defect -> InputError with .file = the offending file (the header, or the data file when that
// is what is wrong) and, for MetaImage headers, .line = the header line.
LabelVolume read_label_volume(const std::string& path, double unit_if_unspecified_m);

// Writers for tests and tools: NIfTI-1 single file (.nii or .nii.gz by extension), datatype chosen by
// the caller (2 uint8, 4 int16, 8 int32, 512 uint16), sform_code = qform_code = 1 (scanner), sform =
// the affine in mm and RAS, qform from the rotation part, xyzt_units = mm; and MetaImage .mhd + .raw
// (uncompressed) or + .zraw (compressed), in mm (MetaImage has no unit field: read it back with
// unit_if_unspecified_m = 1e-3). Atomic (temp name + rename); RuntimeFailure on I/O error and on a
// volume the file cannot hold (a label outside the datatype's range, inconsistent dims).
void write_nifti(const std::string& path, const LabelVolume& volume, int nifti_datatype);
void write_metaimage(const std::string& mhd_path, const LabelVolume& volume, bool compressed);

}  // namespace cyto
