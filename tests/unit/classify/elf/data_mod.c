/* A module with data only (firmware tables, tuner_types...). */
#include "module_stub.h"
LT_MODULE("data_mod")

const int data_mod_table[4] = {1, 2, 3, 4};
