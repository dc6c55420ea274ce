// Tensor shapes (row-major, outermost dimension first) and a dense owning tensor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hardy {

/// Dimensions of a row-major tensor. Activations of one image are (C, H, W) or (F).
struct Shape {
  std::vector<int64_t> dims;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) : dims(d) {}
  explicit Shape(std::vector<int64_t> d) : dims(std::move(d)) {}

  int rank() const { return static_cast<int>(dims.size()); }
  int64_t operator[](int i) const { return dims[static_cast<size_t>(i)]; }
  /// Number of elements (1 for rank 0).
  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
  bool operator==(const Shape&) const = default;
  std::string to_string() const;
};

/// Dense row-major tensor owning its elements.
template <class T>
struct Tensor {
  Shape shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(Shape s, T fill = T{})
      : shape(std::move(s)), data(static_cast<size_t>(shape.elements()), fill) {}
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  T& operator[](int64_t i) { return data[static_cast<size_t>(i)]; }
  const T& operator[](int64_t i) const { return data[static_cast<size_t>(i)]; }
};

}  // namespace hardy
