#include "host/solver/halo_exchange.hpp"

#include <algorithm>
#include <chrono>

namespace cyto {

template <class Real>
HaloExchange<Real>::HaloExchange(const par::Comm& comm, const Decomposition& decomposition,
                                 const GridLayout& layout, int n_species, bool device_halos)
    : layout_(layout), n_species_(n_species), device_halos_(device_halos) {
  for (int f = 0; f < 6; ++f) neighbour_[std::size_t(f)] = decomposition.neighbour(comm.rank(), f / 2, f % 2);
}

template <class Real>
bool HaloExchange<Real>::active() const {
  return std::any_of(neighbour_.begin(), neighbour_.end(), [](int r) { return r >= 0; });
}

template <class Real>
void HaloExchange<Real>::exchange(const par::Comm& comm, Backend<Real>& backend) {
  if (!active()) return;
  par::Messages messages(comm);
  start(backend, messages);
  finish(backend, messages);
}

template <class Real>
void HaloExchange<Real>::step(const par::Comm& comm, Backend<Real>& backend, const StepParameters<Real>& p) {
  const auto t0 = std::chrono::steady_clock::now();
  par::Messages messages(comm);
  start(backend, messages);
  const auto posted = std::chrono::steady_clock::now();
  const bool overlap = backend.splits_steps();
  if (overlap) backend.compute(StepPart::Inner, p);
  const auto t1 = std::chrono::steady_clock::now();
  finish(backend, messages);
  const auto t2 = std::chrono::steady_clock::now();
  if (overlap) {
    backend.compute(StepPart::Shell, p);
    backend.complete_step();
  } else {
    backend.step(p);
  }
  wait_seconds_ += std::chrono::duration<double>(t2 - t1).count();
  pack_seconds_ += std::chrono::duration<double>(posted - t0).count();
}

// Posts the receives and sends of this rank's face layers.
template <class Real>
void HaloExchange<Real>::start(Backend<Real>& backend, par::Messages& messages) {
  const int ns = n_species_;
  if (device_halos_) {
    // CUDA-aware MPI reads and writes device buffers. Packing first: it
    // waits for the device, so the previous step's unpacks are done with the
    // receive buffers before MPI writes into them again.
    Real* send[6] = {};
    for (int f = 0; f < 6; ++f)
      if (neighbour_[std::size_t(f)] >= 0) send[f] = backend.pack_face_on_device(f, ns);
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      const std::size_t bytes = std::size_t(face_voxels(layout_, f)) * std::size_t(ns) * sizeof(Real);
      messages.receive(backend.receive_buffer_on_device(f, ns), bytes, neighbour_[std::size_t(f)], f);
      messages.send(send[f], bytes, neighbour_[std::size_t(f)], f ^ 1);
    }
  } else {
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      const std::size_t n = std::size_t(face_voxels(layout_, f)) * std::size_t(ns);
      receive_[f].resize(n);
      send_[f].resize(n);
      messages.receive(receive_[f].data(), n * sizeof(Real), neighbour_[std::size_t(f)], f);
    }
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      backend.pack_face(f, ns, send_[f].data());
      // Tagged with the face it arrives at on the neighbour: the opposite one.
      messages.send(send_[f].data(), send_[f].size() * sizeof(Real), neighbour_[std::size_t(f)], f ^ 1);
    }
  }
}

// Waits for the halos and writes them into the fields.
template <class Real>
void HaloExchange<Real>::finish(Backend<Real>& backend, par::Messages& messages) {
  const int ns = n_species_;
  messages.wait();
  for (int f = 0; f < 6; ++f) {
    if (neighbour_[std::size_t(f)] < 0) continue;
    if (device_halos_)
      backend.unpack_face_on_device(f, ns);
    else
      backend.unpack_face(f, ns, receive_[f].data());
  }
}

template class HaloExchange<float>;
template class HaloExchange<double>;

}  // namespace cyto
