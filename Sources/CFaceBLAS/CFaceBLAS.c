#include "CFaceBLAS.h"
