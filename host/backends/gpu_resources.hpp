// RAII owners of CUDA resources for the GPU backend: device and pinned host
// memory, a stream, an event. Every CUDA call is checked (CYTO_CUDA_CHECK).
// Included only where CUDA is built.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace cyto {

// Device memory for `count` elements of T; freed on destruction.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count > 0) CYTO_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), count * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);  // never throws: a destructor may run during unwinding
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

  void upload(const std::vector<T>& host, cudaStream_t stream) {
    if (host.size() != count_)
      throw RuntimeFailure(
          fmt::format("internal: uploading {} values into a device buffer of {}", host.size(), count_));
    if (count_ > 0)
      CYTO_CUDA_CHECK(cudaMemcpyAsync(ptr_, host.data(), bytes(), cudaMemcpyHostToDevice, stream));
  }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

// Page-locked host memory for at least `count` elements of T, so that copies
// to and from the device are DMA without the driver's own staging copy.
// Grown on demand (the old contents are not kept), freed on destruction.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);  // never throws: a destructor may run during unwinding
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  // The caller makes sure no copy still uses the memory when it grows.
  T* reserve(std::size_t count) {
    if (count > count_) {
      if (ptr_) CYTO_CUDA_CHECK(cudaFreeHost(std::exchange(ptr_, nullptr)));
      count_ = 0;
      CYTO_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ptr_), count * sizeof(T)));
      count_ = count;
    }
    return ptr_;
  }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

class Stream {
 public:
  Stream() { CYTO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_) cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { CYTO_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event() { CYTO_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~Event() {
    if (event_) cudaEventDestroy(event_);
  }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  void record(cudaStream_t stream) { CYTO_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  // Until the work before the last record() is done (at once if never recorded).
  void wait() const { CYTO_CUDA_CHECK(cudaEventSynchronize(event_)); }
  // Seconds from `start` to this event (both recorded and complete).
  double seconds_since(const Event& start) const {
    float ms = 0;
    CYTO_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
    return double(ms) * 1e-3;
  }

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace cyto
