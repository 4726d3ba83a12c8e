// The step's parameter block on the device, for the GPU backend. A small
// ring of slots, each a pinned host buffer and a device buffer: a block is
// packed into the next slot's pinned buffer and copied to its device buffer
// by a copy queued on the step's stream, so the kernels that follow on the
// stream read it, and nothing waits for the device. The host waits only
// when it comes back to a slot whose previous copy has not run yet (it is
// kSlots steps ahead of the device). A block equal to the last one is not
// copied again. Included only where CUDA is built.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "host/backends/gpu_resources.hpp"
#include "host/model/coefficients.hpp"

namespace cyto {

template <class Real>
class DeviceStepParameters {
 public:
  // Device pointers to one block (StepParameters without the step number,
  // which reaches the kernel as a parameter).
  struct View {
    const Real* decay_factor = nullptr;
    const Real* source_rate = nullptr;
    const Real* source_gain = nullptr;
    const SmoothRuleDrive<Real>* rules = nullptr;
  };

  // The block on the device, for the kernels queued on `stream` after this call.
  View upload(const StepParameters<Real>& p, cudaStream_t stream) {
    const std::size_t coefficients = p.decay_factor.size() * sizeof(Real);
    const std::size_t rules_offset = (3 * coefficients + 15) / 16 * 16;
    const std::size_t bytes = rules_offset + p.rules.size() * sizeof(SmoothRuleDrive<Real>);
    packed_.assign(bytes, 0);
    std::memcpy(packed_.data(), p.decay_factor.data(), coefficients);
    std::memcpy(packed_.data() + coefficients, p.source_rate.data(), coefficients);
    std::memcpy(packed_.data() + 2 * coefficients, p.source_gain.data(), coefficients);
    if (!p.rules.empty())
      std::memcpy(packed_.data() + rules_offset, p.rules.data(),
                  p.rules.size() * sizeof(SmoothRuleDrive<Real>));
    if (uploaded_ && packed_ == last_) return current_;

    Slot& slot = slots_[next_];
    next_ = (next_ + 1) % kSlots;
    slot.copied.wait();  // the slot's previous copy has read its pinned buffer
    if (slot.device.size() < bytes) {
      // A larger block (the first, or a new scenario size): the old buffer
      // may still be read by queued kernels.
      CYTO_CUDA_CHECK(cudaStreamSynchronize(stream));
      slot.device = DeviceBuffer<unsigned char>(bytes);
    }
    unsigned char* host = slot.host.reserve(std::max<std::size_t>(bytes, 1));
    std::memcpy(host, packed_.data(), bytes);
    if (bytes > 0)
      CYTO_CUDA_CHECK(cudaMemcpyAsync(slot.device.get(), host, bytes, cudaMemcpyHostToDevice, stream));
    slot.copied.record(stream);
    last_.swap(packed_);
    uploaded_ = true;
    const unsigned char* device = slot.device.get();
    current_.decay_factor = reinterpret_cast<const Real*>(device);
    current_.source_rate = reinterpret_cast<const Real*>(device + coefficients);
    current_.source_gain = reinterpret_cast<const Real*>(device + 2 * coefficients);
    current_.rules = reinterpret_cast<const SmoothRuleDrive<Real>*>(device + rules_offset);
    return current_;
  }

 private:
  static constexpr int kSlots = 4;
  struct Slot {
    PinnedBuffer<unsigned char> host;
    DeviceBuffer<unsigned char> device;
    Event copied;  // after the copy out of `host`
  };
  std::array<Slot, kSlots> slots_;
  int next_ = 0;
  std::vector<unsigned char> packed_, last_;  // this block, and the last one copied
  bool uploaded_ = false;
  View current_;
};

}  // namespace cyto
