// The ranks of an OpenMPI launch (hardy built with HARDY_MPI): each rank runs one shard of a
// campaign and the counts are summed on rank 0, which gives exactly the single-process result.
#pragma once

#include <cstdint>
#include <vector>

namespace hardy::cli {

struct MpiRanks {
  int rank = 0, size = 1;
};

/// Initialises MPI when this process was started by mpirun (OMPI_COMM_WORLD_SIZE set) and returns
/// its rank; {0, 1} otherwise. Throws ConfigError under mpirun when built without MPI.
MpiRanks mpi_start();
/// Sums v element-wise over all ranks into rank 0's v (every rank passes the same length).
void mpi_sum_to_root(std::vector<int64_t>& v);
/// Ends MPI (if started). After an error on one rank, aborts every rank with `exit_code`.
void mpi_finish();
[[noreturn]] void mpi_abort(int exit_code);
bool mpi_active();

}  // namespace hardy::cli
