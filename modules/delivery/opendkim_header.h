#pragma once
// libopendkim's C header for C++: it spells its booleans as C99 `_Bool`, which C++ lacks. C's
// _Bool and C++'s bool have the same size and representation on the platforms Debian builds
// (the x86-64 and AArch64 psABIs), so the name is mapped for the length of the include only.
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
