// Which tissue each label value of a label map paints, as the scenario maps
// them (VolumeFile::labels). For the geometry layer's own use.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>
#include <vector>

#include "host/scenario/scenario.hpp"

namespace cyto {

// Tissue index of each mapped label (-1: unmapped): a table for label values
// below 2^16 (the usual), a binary search for the rare larger ones, so that
// a label of 2e9 costs no 2e9-entry table.
class LabelToTissue {
 public:
  explicit LabelToTissue(const std::vector<VolumeFile::LabelTissue>& labels) {
    for (const auto& lt : labels) {
      if (lt.label < kTable) {
        if (table_.size() <= std::size_t(lt.label)) table_.resize(std::size_t(lt.label) + 1, -1);
        table_[std::size_t(lt.label)] = lt.tissue;
      } else {
        large_.emplace_back(lt.label, lt.tissue);
      }
    }
    std::sort(large_.begin(), large_.end());
  }
  int operator()(std::int32_t label) const {
    if (label <= 0) return -1;
    if (label < kTable) return std::size_t(label) < table_.size() ? table_[std::size_t(label)] : -1;
    const auto it = std::lower_bound(large_.begin(), large_.end(), std::make_pair(label, INT32_MIN));
    return it != large_.end() && it->first == label ? it->second : -1;
  }

 private:
  static constexpr std::int32_t kTable = 1 << 16;
  std::vector<int> table_;
  std::vector<std::pair<std::int32_t, int>> large_;
};

}  // namespace cyto
