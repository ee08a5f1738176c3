#include "trace/trace-hw_vmbnet.h"
