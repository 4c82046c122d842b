// The one test main every test binary shares (STYLE.md, "Tests and benchmarks").
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
