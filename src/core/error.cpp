// Out-of-line failure path of HARDY_CHECK.
#include "hardy/core/error.h"

namespace hardy {

void check_failed(const char* condition, const char* file, int line) {
  throw InternalError(std::string("internal check failed: ") + condition + " at " + file + ":" +
                      std::to_string(line));
}

}  // namespace hardy
