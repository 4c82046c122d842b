#include <iostream>

#include "server/cli.h"

int main(int argc, char** argv) { return incontra::server::RunCli(argc, argv, std::cout, std::cerr); }
