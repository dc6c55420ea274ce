// MPI glue for campaigns (compiled with or without MPI).
#include "mpi_ranks.h"

#include <cstdlib>
#include <string>

#include "hardy/core/error.h"

#ifdef HARDY_HAVE_MPI
#include <mpi.h>
#endif

namespace hardy::cli {
namespace {
bool started = false;
}

MpiRanks mpi_start() {
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (!world || std::atoi(world) <= 1) return {};
#ifdef HARDY_HAVE_MPI
  if (!started) {
    MPI_Init(nullptr, nullptr);
    started = true;
  }
  MpiRanks r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &r.size);
  return r;
#else
  throw ConfigError("started by mpirun with " + std::string(world) +
                    " ranks, but this hardy was built without MPI (cmake -DHARDY_MPI=ON)");
#endif
}

bool mpi_active() { return started; }

void mpi_sum_to_root(std::vector<int64_t>& v) {
#ifdef HARDY_HAVE_MPI
  if (!started) return;
  std::vector<int64_t> sum(v.size());
  MPI_Reduce(v.data(), sum.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, 0,
             MPI_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) v = std::move(sum);
#else
  (void)v;
#endif
}

void mpi_finish() {
#ifdef HARDY_HAVE_MPI
  if (started) MPI_Finalize();
  started = false;
#endif
}

void mpi_abort(int exit_code) {
#ifdef HARDY_HAVE_MPI
  if (started) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
  std::exit(exit_code);
}

}  // namespace hardy::cli
