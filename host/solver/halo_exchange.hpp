// MPI halos of a rank's block: each step, the layers of species next to the
// faces shared with other ranks go to those ranks, and theirs arrive in the
// halo layer, while the backend computes the voxels away from those faces
// where it can split its steps.
#pragma once

#include <array>
#include <vector>

#include "host/backends/backend.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto {

template <class Real>
class HaloExchange {
 public:
  HaloExchange() = default;
  // Rank `comm.rank()`'s neighbours in `decomposition`; the layers of
  // n_species fields (only species diffuse: populations and budget amounts
  // never read a neighbour's value). device_halos: hand MPI the backend's
  // device buffers (CUDA-aware MPI).
  HaloExchange(const par::Comm& comm, const Decomposition& decomposition, const GridLayout& layout,
               int n_species, bool device_halos);

  bool active() const;  // some face is shared with another rank
  bool device_halos() const { return device_halos_; }

  // One step of `backend` with the halos exchanged (collective).
  void step(const par::Comm& comm, Backend<Real>& backend, const StepParameters<Real>& parameters);
  // The halos alone, as at a step's start (collective).
  void exchange(const par::Comm& comm, Backend<Real>& backend);

  // Wall time spent waiting for halos (and unpacking them), and packing and
  // posting them, over all steps so far.
  double wait_seconds() const { return wait_seconds_; }
  double pack_seconds() const { return pack_seconds_; }

 private:
  void start(Backend<Real>& backend, par::Messages& messages);
  void finish(Backend<Real>& backend, par::Messages& messages);

  GridLayout layout_;
  int n_species_ = 0;
  std::array<int, 6> neighbour_{-1, -1, -1, -1, -1, -1};  // rank across each face, -1: none
  bool device_halos_ = false;
  std::vector<Real> send_[6], receive_[6];
  double wait_seconds_ = 0, pack_seconds_ = 0;
};

}  // namespace cyto
