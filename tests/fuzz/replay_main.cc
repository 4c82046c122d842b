// A main for the fuzz targets when there is no libFuzzer (g++, the default CI build): runs
// every seed file, then a fixed number of mutations of them drawn from a fixed seed, so each
// run tries the same inputs and a failure reproduces.
//
//   api_fuzz [--mutations=N] [--seed=S] [--dict=FILE] FILE_OR_DIR...
//
// A target reports a bad input by aborting; a crash or an abort first writes the input to
// ./fuzz-crash-input, which a libFuzzer build (or this main) replays.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::string;

const Bytes* current = nullptr;  // the input being run, for the crash handler

extern "C" void OnCrash(int signal) {
  // Only async-signal-safe calls from here on.
  if (current != nullptr) {
    int fd = open("fuzz-crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = write(fd, current->data(), current->size());
      (void)ignored;
      close(fd);
    }
    const char message[] = "fuzz driver: the input is in ./fuzz-crash-input\n";
    ssize_t ignored = write(2, message, sizeof message - 1);
    (void)ignored;
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void RunOne(const Bytes& input) {
  current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  current = nullptr;
}

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// libFuzzer's dictionary format: one "token" a line, with \\, \" and \xNN escapes; an optional
// name= before it; # comments.
std::vector<Bytes> ReadDictionary(const std::filesystem::path& path) {
  std::vector<Bytes> tokens;
  std::istringstream lines(ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    const size_t open = line.find('"'), close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    Bytes token;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] != '\\' || i + 1 >= close) {
        token.push_back(line[i]);
      } else if (line[i + 1] == 'x' && i + 3 < close) {
        token.push_back(static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else {
        token.push_back(line[++i]);
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// A few of libFuzzer's mutations, enough to leave the seeds' happy paths: bytes flipped, set,
// inserted, erased, a chunk copied, a dictionary token, a splice with another seed.
class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<Bytes> dictionary)
      : random_(seed), dictionary_(std::move(dictionary)) {}

  Bytes Mutate(const std::vector<Bytes>& seeds) {
    Bytes out = seeds[Below(seeds.size())];
    const size_t steps = 1 + Below(4);
    for (size_t i = 0; i < steps; ++i) Step(&out, seeds);
    if (out.size() > kMaxSize) out.resize(kMaxSize);
    return out;
  }

 private:
  static constexpr size_t kMaxSize = 4096;

  size_t Below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_); }
  char Byte() {
    static const char kInteresting[] = {0, 1, 0x7f, '\x80', '\xc0', '\xed', '\xff', '"', '\\',
                                        '{', '}', '[', ']', ',', ':', '0', '-', 'e', '\n', '%'};
    return Below(2) ? kInteresting[Below(sizeof kInteresting)] : static_cast<char>(Below(256));
  }

  void Step(Bytes* b, const std::vector<Bytes>& seeds) {
    const size_t at = Below(b->size() + 1);
    switch (Below(8)) {
      case 0:
        if (!b->empty()) (*b)[Below(b->size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:
        if (!b->empty()) (*b)[Below(b->size())] = Byte();
        break;
      case 2:
        b->insert(at, 1 + Below(3), Byte());
        break;
      case 3:
        if (!b->empty()) b->erase(Below(b->size()), 1 + Below(8));
        break;
      case 4:
        if (!b->empty()) {
          const size_t from = Below(b->size());
          b->insert(at, b->substr(from, 1 + Below(32)));
        }
        break;
      case 5:
      case 6:
        if (!dictionary_.empty()) b->insert(at, dictionary_[Below(dictionary_.size())]);
        break;
      default: {
        const Bytes& other = seeds[Below(seeds.size())];
        const size_t from = Below(other.size() + 1);
        *b = b->substr(0, at) + other.substr(from);
        break;
      }
    }
  }

  std::mt19937_64 random_;
  std::vector<Bytes> dictionary_;
};

}  // namespace

int main(int argc, char** argv) {
  for (int s : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL}) std::signal(s, OnCrash);
  size_t mutations = 0;
  uint64_t seed = 1;
  std::vector<Bytes> dictionary, seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0) {
      mutations = std::stoull(arg.substr(12));
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::stoull(arg.substr(7));
    } else if (arg.rfind("--dict=", 0) == 0) {
      dictionary = ReadDictionary(arg.substr(7));
    } else if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());  // a fixed order, so a run is repeatable
      for (const auto& f : files) seeds.push_back(ReadFile(f));
    } else if (std::filesystem::is_regular_file(arg)) {
      seeds.push_back(ReadFile(arg));
    } else {
      std::fprintf(stderr, "fuzz driver: no such file or option: %s\n", arg.c_str());
      return 2;
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz driver: no seed inputs\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  for (const Bytes& s : seeds) RunOne(s);
  Mutator mutator(seed, std::move(dictionary));
  for (size_t i = 0; i < mutations; ++i) RunOne(mutator.Mutate(seeds));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz driver: %zu seeds and %zu mutations (seed %llu) passed in %lld ms\n",
              seeds.size(), mutations, static_cast<unsigned long long>(seed),
              static_cast<long long>(ms));
  return 0;
}
