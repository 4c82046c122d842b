// bench_storage: the store's bulk import against one-by-one writes (synced and not), then point
// reads and feed scans, on generated participants; prints one JSON document on stdout (see
// bench/README.md for the figures) and progress on stderr.
//
//   bench_storage [--dir DIR] [--records N] [--reads N] [--single-records N] [--seed N]
//                 [--import-batch-size N] [--keep]
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/store.h"

namespace incontra::bench {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using storage::RecordKind;
using storage::Store;
using storage::StoreOptions;

constexpr int64_t kTargetRecordsPerSecond = 100'000;  // the figure for bulk import
constexpr size_t kFeedPage = 10'000;
constexpr const char* kBulkEvent = "bench-bulk";
constexpr const char* kBatchedEvent = "bench-batched";
constexpr const char* kSyncEvent = "bench-single-sync";
constexpr const char* kNoSyncEvent = "bench-single-nosync";

struct Flags {
  std::string dir;  // parent of the scratch folder; empty: the system temp folder
  int64_t records = 1'000'000;
  int64_t reads = 100'000;
  int64_t single_records = 20'000;
  int64_t import_batch_size = 0;  // 0: no batched import
  uint64_t seed = 1;
  bool keep = false;
};

// ---- Generated participants (FORMATS.md's Participant shape) ----

struct City {
  const char* name;
  const char* nuts;
};
constexpr City kCities[] = {
    {"Milano", "ITC4C"},  {"Roma", "ITI43"},     {"Napoli", "ITF33"},    {"Torino", "ITC11"},
    {"Palermo", "ITG12"}, {"Genova", "ITC33"},   {"Bologna", "ITH55"},   {"Firenze", "ITI14"},
    {"Bari", "ITF47"},    {"Catania", "ITG17"},  {"Venezia", "ITH35"},   {"Verona", "ITH31"},
    {"Messina", "ITG13"}, {"Padova", "ITH36"},   {"Trieste", "ITH44"},   {"Brescia", "ITC47"},
    {"Parma", "ITH52"},   {"Taranto", "ITF43"},  {"Prato", "ITI15"},     {"Modena", "ITH54"},
    {"Perugia", "ITI21"}, {"Cagliari", "ITG2F"}, {"Livorno", "ITI16"},   {"Ravenna", "ITH57"},
    {"Foggia", "ITF46"},  {"Salerno", "ITF35"},  {"Ferrara", "ITH56"},   {"Sassari", "ITG2D"},
    {"Trento", "ITH20"},  {"Bolzano", "ITH10"},  {"Ancona", "ITI32"},    {"Pescara", "ITF13"},
    {"Potenza", "ITF51"}, {"Aosta", "ITC20"},    {"Campobasso", "ITF22"}};
constexpr const char* kSurnames[] = {
    "Rossi",    "Bianchi",   "Esposito",  "Romano",  "Colombo",   "Ricci",     "Marino",
    "Greco",    "Bruno",     "Gallo",     "Conti",   "De Luca",   "Mancini",   "Costa",
    "Giordano", "Rizzo",     "Lombardi",  "Moretti", "Barbieri",  "Fontana",   "Santoro",
    "Mariani",  "Rinaldi",   "Caruso",    "Ferrara", "Martini",   "Leone",     "Longo",
    "Gentile",  "Vitale",    "Serra",     "Coppola", "De Santis", "Marchetti", "Parisi",
    "Villa",    "Quagliata", "Sorrentino"};
constexpr const char* kSectors[] = {"Servizi",     "Tecnologie", "Costruzioni", "Forniture",
                                    "Informatica", "Ambiente",   "Impianti",    "Logistica",
                                    "Energia",     "Sistemi",    "Ingegneria",  "Sanità"};
constexpr const char* kSuffixes[] = {"Srl", "S.p.A.", "Srls", "Snc", "Sas", "Soc. Coop."};
constexpr const char* kPaNames[] = {"Comune di ", "Azienda Sanitaria Locale di ", "Provincia di ",
                                    "Camera di Commercio di ", "Istituto Comprensivo di "};
constexpr const char* kResearchNames[] = {"Università degli Studi di ", "Consorzio di Ricerca di ",
                                          "Istituto Tecnico Superiore di "};
constexpr const char* kOtherNames[] = {"Associazione Imprese di ", "Fondazione Innovazione di ",
                                       "Cooperativa Sociale di "};
constexpr const char* kActivities[] = {
    "fornitura di", "manutenzione di", "installazione di",       "progettazione di",
    "noleggio di",  "gestione di",     "assistenza tecnica per", "pulizia di",
    "sviluppo di",  "consulenza per"};
constexpr const char* kObjects[] = {"arredi per scuole",
                                    "materiale di cancelleria",
                                    "impianti fotovoltaici",
                                    "software gestionale",
                                    "dispositivi medici",
                                    "veicoli elettrici",
                                    "verde urbano",
                                    "reti informatiche",
                                    "impianti di climatizzazione",
                                    "illuminazione pubblica",
                                    "mense scolastiche",
                                    "piattaforme di e-procurement",
                                    "sistemi di videosorveglianza",
                                    "strade e marciapiedi",
                                    "edifici pubblici",
                                    "servizi cloud",
                                    "archivi digitali",
                                    "attrezzature sanitarie",
                                    "sistemi antincendio",
                                    "trasporto scolastico",
                                    "rifiuti urbani",
                                    "siti web istituzionali",
                                    "ascensori",
                                    "dispositivi di protezione"};
constexpr const char* kCpv[] = {
    "30192000", "39160000", "09331200", "48000000", "33100000", "34144900", "77310000", "32420000",
    "42512000", "34993000", "55524000", "72000000", "35125300", "45233140", "45454000", "72317000",
    "79995100", "33190000", "39830000", "35111000", "60130000", "90511000", "80511000", "72413000",
    "42416100", "18143000", "90910000", "50000000", "71000000", "79410000"};
constexpr const char* kClaims[] = {"Certificata ISO 9001 e ISO 14001.",
                                   "Vent'anni di lavoro con la PA.",
                                   "Iscritta al MePA.",
                                   "Assistenza in tutta Italia.",
                                   "Partner di progetti Horizon e Interreg.",
                                   "Attestazione SOA per lavori pubblici."};

class ParticipantGenerator {
 public:
  explicit ParticipantGenerator(uint64_t seed) : rng_(seed), id_offset_(seed * 7'919 % kIdSpace) {}

  // Ids look like Italian VAT numbers and are distinct for i < 10^11: i -> (i * a + b) mod 10^11
  // is a bijection because a is prime to 10. They arrive in random key order, as real ones do.
  nlohmann::json Next(int64_t i) {
    const uint64_t number = (static_cast<uint64_t>(i) * 48'271 + id_offset_) % kIdSpace;
    std::string id = std::to_string(number);
    id = "IT" + std::string(11 - id.size(), '0') + id;

    const City& city = Pick(kCities);
    const int kind_roll = Uniform(100);
    std::string kind, name;
    if (kind_roll < 80) {
      kind = "company";
      name = std::string(Pick(kSurnames)) + " " + Pick(kSectors) + " " + Pick(kSuffixes);
    } else if (kind_roll < 90) {
      kind = "pa";
      name = std::string(Pick(kPaNames)) + city.name;
    } else if (kind_roll < 97) {
      kind = "research";
      name = std::string(Pick(kResearchNames)) + city.name;
    } else {
      kind = "other";
      name = std::string(Pick(kOtherNames)) + city.name;
    }

    nlohmann::json offers = nlohmann::json::array();
    const int offer_count = 2 + Uniform(4);  // 2..5
    for (int k = 0; k < offer_count; ++k) {
      offers.push_back(std::string(Pick(kActivities)) + " " + Pick(kObjects));
    }
    std::string description = "Sede a " + std::string(city.name) + ", " +
                              offers[0].get<std::string>() + ". " + Pick(kClaims);
    nlohmann::json cpv = nlohmann::json::array();
    const int cpv_count = 1 + Uniform(3);
    for (int k = 0; k < cpv_count; ++k) cpv.push_back(Pick(kCpv));

    return {{"id", std::move(id)},         {"kind", std::move(kind)},
            {"name", std::move(name)},     {"description", std::move(description)},
            {"offers", std::move(offers)}, {"cpv", std::move(cpv)},
            {"region", city.nuts}};
  }

 private:
  static constexpr uint64_t kIdSpace = 100'000'000'000;  // 11 digits

  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(static_cast<int>(N))];
  }

  std::mt19937_64 rng_;
  uint64_t id_offset_;
};

// ---- Measuring ----

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

double MicrosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

double PerSecond(double count, int64_t ms) {
  return ms > 0 ? count * 1000.0 / static_cast<double>(ms) : 0.0;
}
int64_t PerSecondRounded(size_t count, int64_t ms) {
  return std::llround(PerSecond(static_cast<double>(count), ms));
}

double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

constexpr double kMiB = 1024.0 * 1024.0;
double Mb(uint64_t bytes) { return Round(static_cast<double>(bytes) / kMiB, 1); }

// a / b, null when b is 0.
json Ratio(double a, double b) { return b > 0 ? json(Round(a / b, 2)) : json(nullptr); }

// p50, p99 and max of latencies in microseconds; sorts `us`.
json Latencies(std::vector<double>* us) {
  if (us->empty()) return nullptr;
  std::sort(us->begin(), us->end());
  auto at = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(us->size())));
    return Round((*us)[std::max<size_t>(rank, 1) - 1], 1);
  };
  return {{"p50", at(0.50)}, {"p99", at(0.99)}, {"max", Round(us->back(), 1)}};
}

// Resident memory now and at its peak, in MB (Linux).
double RssMb() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return Mb(resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}
double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return Mb(static_cast<uint64_t>(usage.ru_maxrss) * 1024);
}

// Bytes on disk under `dir`: RocksDB's table files, write-ahead logs and everything else.
json DiskUsage(const fs::path& dir) {
  uint64_t sst = 0, wal = 0, other = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const uint64_t size = entry.file_size(ec);
    const std::string ext = entry.path().extension().string();
    (ext == ".sst" ? sst : ext == ".log" ? wal : other) += size;
  }
  return {{"total_mb", Mb(sst + wal + other)},
          {"sst_mb", Mb(sst)},
          {"wal_mb", Mb(wal)},
          {"other_mb", Mb(other)}};
}

// A fresh folder for the database, removed when the benchmark ends unless kept.
class ScratchDir {
 public:
  static Result<ScratchDir> Create(const std::string& parent, bool keep) {
    std::error_code ec;
    const fs::path base = parent.empty() ? fs::temp_directory_path(ec) : fs::path(parent);
    fs::create_directories(base, ec);
    std::string pattern = (base / "incontra-bench-XXXXXX").string();
    if (ec || mkdtemp(pattern.data()) == nullptr) {
      return Status::IoError("bench.scratch", pattern + ": cannot create a scratch folder");
    }
    return ScratchDir(pattern, keep);
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) {
    other.path_.clear();
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir() {
    if (path_.empty() || keep_) return;
    std::error_code ec;  // best effort: a folder left in /tmp is no reason to fail the run
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  ScratchDir(fs::path path, bool keep) : path_(std::move(path)), keep_(keep) {}
  fs::path path_;
  bool keep_;
};

void Progress(const std::string& message) { std::cerr << "bench_storage: " << message << "\n"; }

// ---- Phases ----

json MachineInfo() {
  const uint64_t memory =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
#ifdef NDEBUG
  const char* build = "release";
#else
  const char* build = "debug";
#endif
  return {
      {"cpus", std::thread::hardware_concurrency()}, {"memory_mb", Mb(memory)}, {"build", build}};
}

struct Generated {
  std::vector<nlohmann::json> records;
  uint64_t json_bytes = 0;
  json figures;
};

Generated Generate(const Flags& flags) {
  Progress("generating " + std::to_string(flags.records) + " participants");
  const Clock::time_point start = Clock::now();
  Generated g;
  g.records.reserve(static_cast<size_t>(flags.records));
  ParticipantGenerator generator(flags.seed);
  uint64_t min_bytes = UINT64_MAX, max_bytes = 0;
  for (int64_t i = 0; i < flags.records; ++i) {
    g.records.push_back(generator.Next(i));
    const uint64_t size = g.records.back().dump().size();
    g.json_bytes += size;
    min_bytes = std::min(min_bytes, size);
    max_bytes = std::max(max_bytes, size);
  }
  const double avg = static_cast<double>(g.json_bytes) / static_cast<double>(g.records.size());
  g.figures = {{"count", g.records.size()},
               {"json_mb", Mb(g.json_bytes)},
               {"json_bytes", {{"min", min_bytes}, {"avg", Round(avg, 1)}, {"max", max_bytes}}},
               {"generate_ms", MillisSince(start)}};
  return g;
}

// 1. The bulk path: one Import call, one WriteBatch, one synced write.
Result<json> BulkImport(const fs::path& db, const Generated& g) {
  const double rss_before = RssMb();
  Progress("importing " + std::to_string(g.records.size()) + " records in one batch");
  auto store = Store::Open(db.string());
  if (!store.ok()) return store.status();
  Clock::time_point start = Clock::now();
  if (Status s = (*store)->Import(kBulkEvent, RecordKind::kParticipant, g.records); !s.ok()) {
    return s;
  }
  const int64_t import_ms = MillisSince(start);
  const double peak_rss = PeakRssMb();
  Progress("closing");
  start = Clock::now();
  store->reset();
  const int64_t close_ms = MillisSince(start);
  const double rate = PerSecond(static_cast<double>(g.records.size()), import_ms);
  json out = {
      {"all_or_nothing", true},
      {"records", g.records.size()},
      {"wall_ms", import_ms},
      {"records_per_s", std::llround(rate)},
      {"mb_per_s", Round(PerSecond(static_cast<double>(g.json_bytes) / kMiB, import_ms), 1)},
      {"target_records_per_s", kTargetRecordsPerSecond},
      {"meets_target", rate >= static_cast<double>(kTargetRecordsPerSecond)},
      {"rss_before_mb", rss_before},
      {"peak_rss_mb", peak_rss},
      {"close_ms", close_ms},
      {"disk_after_close", DiskUsage(db)}};
  Progress("reopening (replays the write-ahead log)");
  start = Clock::now();
  auto reopened = Store::Open(db.string());
  if (!reopened.ok()) return reopened.status();
  out["reopen_ms"] = MillisSince(start);
  reopened->reset();
  out["disk_after_reopen"] = DiskUsage(db);
  return out;
}

// An extra figure only: the same records in batches of `batch_size`, into another event. Not
// all or nothing: a failure halfway leaves the batches before it written.
Result<json> BatchedImport(const fs::path& db, const Generated& g, size_t batch_size) {
  Progress("importing in batches of " + std::to_string(batch_size) + " (not all or nothing)");
  auto store = Store::Open(db.string());
  if (!store.ok()) return store.status();
  Clock::duration spent{};  // in Import only, not in slicing the input
  size_t batches = 0;
  for (size_t from = 0; from < g.records.size(); from += batch_size) {
    const size_t to = std::min(g.records.size(), from + batch_size);
    const std::vector<nlohmann::json> batch(g.records.begin() + from, g.records.begin() + to);
    const Clock::time_point start = Clock::now();
    if (Status s = (*store)->Import(kBatchedEvent, RecordKind::kParticipant, batch); !s.ok()) {
      return s;
    }
    spent += Clock::now() - start;
    ++batches;
  }
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(spent).count();
  return json{{"all_or_nothing", false},
              {"batch_size", batch_size},
              {"batches", batches},
              {"records", g.records.size()},
              {"wall_ms", ms},
              {"records_per_s", PerSecondRounded(g.records.size(), ms)},
              {"mb_per_s", Round(PerSecond(static_cast<double>(g.json_bytes) / kMiB, ms), 1)},
              {"peak_rss_mb", PeakRssMb()}};
}

// 2. Each record put on its own, as an API client adding participants one at a time does.
Result<json> SinglePuts(const fs::path& db, StoreOptions options, const char* event,
                        const std::vector<nlohmann::json>& sample) {
  Progress("putting " + std::to_string(sample.size()) + " records one by one, " +
           (options.sync ? "synced" : "not synced"));
  auto store = Store::Open(db.string(), options);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->PutEvent({{"id", event}}); !s.ok()) return s;
  std::vector<double> latencies;
  latencies.reserve(sample.size());
  const Clock::time_point start = Clock::now();
  for (const nlohmann::json& record : sample) {
    const Clock::time_point before = Clock::now();
    if (Status s = (*store)->Put(RecordKind::kParticipant, event, record); !s.ok()) return s;
    latencies.push_back(MicrosBetween(before, Clock::now()));
  }
  const int64_t wall_ms = MillisSince(start);
  return json{{"sync", options.sync},
              {"records", sample.size()},
              {"wall_ms", wall_ms},
              {"records_per_s", PerSecondRounded(sample.size(), wall_ms)},
              {"latency_us", Latencies(&latencies)}};
}

// 3. Point reads of random existing ids.
Result<json> PointReads(const Store& store, const std::vector<std::string>& ids, int64_t reads,
                        uint64_t seed) {
  Progress("reading " + std::to_string(reads) + " random records");
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
  std::vector<size_t> wanted(static_cast<size_t>(reads));
  for (size_t& w : wanted) w = pick(rng);
  std::vector<double> latencies;
  latencies.reserve(wanted.size());
  size_t wrong = 0;
  const Clock::time_point start = Clock::now();
  for (size_t w : wanted) {
    const Clock::time_point before = Clock::now();
    auto record = store.Get(RecordKind::kParticipant, kBulkEvent, ids[w]);
    latencies.push_back(MicrosBetween(before, Clock::now()));
    // Not a test (that is tests/storage/), only a guard against timing the wrong thing.
    if (!record.ok() || (*record)["id"] != ids[w]) ++wrong;
  }
  const int64_t wall_ms = MillisSince(start);
  return json{{"reads", wanted.size()},
              {"wall_ms", wall_ms},
              {"reads_per_s", PerSecondRounded(wanted.size(), wall_ms)},
              {"latency_us", Latencies(&latencies)},
              {"not_found_or_wrong", wrong}};
}

// 4. Pages of the feed from `since` to the end.
Result<json> ScanFeed(const Store& store, uint64_t since) {
  json out = {{"since", since}};
  size_t entries = 0, pages = 0;
  const Clock::time_point start = Clock::now();
  for (;;) {
    const Clock::time_point page_start = Clock::now();
    auto page = store.Changes(since, kFeedPage);
    if (!page.ok()) return page.status();
    if (pages == 0) out["first_page_ms"] = Round(MicrosBetween(page_start, Clock::now()) / 1e3, 2);
    if (page->empty()) break;
    ++pages;
    entries += page->size();
    since = page->back().seq;
  }
  const int64_t wall_ms = MillisSince(start);
  out["entries"] = entries;
  out["pages"] = pages;
  out["wall_ms"] = wall_ms;
  out["entries_per_s"] = PerSecondRounded(entries, wall_ms);
  out["reached_sequence"] = since;
  return out;
}

Result<json> Run(const Flags& flags, const fs::path& db) {
  json out = {{"machine", MachineInfo()},
              {"options",
               {{"records", flags.records},
                {"reads", flags.reads},
                {"single_records", flags.single_records},
                {"import_batch_size", flags.import_batch_size},
                {"seed", flags.seed},
                {"dir", db.string()}}}};
  Generated g = Generate(flags);
  out["records"] = g.figures;

  auto import = BulkImport(db, g);
  if (!import.ok()) return import.status();
  out["import"] = *import;
  if (flags.import_batch_size > 0) {
    auto batched = BatchedImport(db, g, static_cast<size_t>(flags.import_batch_size));
    if (!batched.ok()) return batched.status();
    out["import_batched"] = *batched;
  }

  // Keep only what the next phases need: a sample to put one by one, the ids to read.
  const size_t sample_size = std::min(g.records.size(), static_cast<size_t>(flags.single_records));
  const std::vector<nlohmann::json> sample(g.records.begin(), g.records.begin() + sample_size);
  std::vector<std::string> ids;
  ids.reserve(g.records.size());
  for (const nlohmann::json& r : g.records) ids.push_back(r["id"].get<std::string>());
  std::vector<nlohmann::json>().swap(g.records);

  auto synced = SinglePuts(db, {.sync = true}, kSyncEvent, sample);
  if (!synced.ok()) return synced.status();
  auto unsynced = SinglePuts(db, {.sync = false}, kNoSyncEvent, sample);
  if (!unsynced.ok()) return unsynced.status();
  out["single_put"] = {{"sync", *synced}, {"no_sync", *unsynced}};
  const double import_rate = (*import)["records_per_s"].get<double>();
  const double synced_rate = (*synced)["records_per_s"].get<double>();
  const double unsynced_rate = (*unsynced)["records_per_s"].get<double>();
  out["ratio"] = {{"bulk_over_single_sync", Ratio(import_rate, synced_rate)},
                  {"bulk_over_single_no_sync", Ratio(import_rate, unsynced_rate)},
                  {"single_no_sync_over_sync", Ratio(unsynced_rate, synced_rate)}};

  auto store = Store::Open(db.string());
  if (!store.ok()) return store.status();
  auto reads = PointReads(**store, ids, flags.reads, flags.seed);
  if (!reads.ok()) return reads.status();
  out["get"] = *reads;

  const uint64_t last = (*store)->last_sequence();
  Progress("scanning the feed (" + std::to_string(last) + " entries)");
  auto whole = ScanFeed(**store, 0);
  if (!whole.ok()) return whole.status();
  auto middle = ScanFeed(**store, last / 2);
  if (!middle.ok()) return middle.status();
  out["feed"] = {{"last_sequence", last},
                 {"page_size", kFeedPage},
                 {"from_start", *whole},
                 {"from_middle", *middle}};
  store->reset();
  out["disk_final"] = DiskUsage(db);
  return out;
}

// Returns the exit code when the program should stop now (help, bad flags).
std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  po::options_description desc("bench_storage: bulk import against one-by-one writes, reads, feed");
  desc.add_options()("help,h", "show this help")(
      "dir", po::value(&flags->dir),
      "create the scratch folder inside DIR (default: the system temp folder)")(
      "records", po::value(&flags->records)->default_value(flags->records),
      "participants to import")("reads", po::value(&flags->reads)->default_value(flags->reads),
                                "random point reads")(
      "single-records", po::value(&flags->single_records)->default_value(flags->single_records),
      "records put one by one, synced and again not synced")(
      "import-batch-size", po::value(&flags->import_batch_size)->default_value(0),
      "also import the records in batches of N (not all or nothing; an extra figure)")(
      "seed", po::value(&flags->seed)->default_value(flags->seed), "generator seed")(
      "keep", po::bool_switch(&flags->keep), "keep the scratch folder");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "bench_storage: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (flags->records < 1 || flags->reads < 0 || flags->single_records < 0 ||
      flags->import_batch_size < 0) {
    std::cerr << "bench_storage: --records must be at least 1, the other counts at least 0\n";
    return 2;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::optional<int> exit_code = ParseFlags(argc, argv, &flags)) return *exit_code;
  auto scratch = ScratchDir::Create(flags.dir, flags.keep);
  if (!scratch.ok()) {
    std::cerr << "bench_storage: " << scratch.status().ToString() << "\n";
    return 1;
  }
  auto out = Run(flags, scratch->path() / "db");
  if (!out.ok()) {
    std::cerr << "bench_storage: " << out.status().ToString() << "\n";
    return 1;
  }
  std::cout << out->dump(2) << "\n";
  if (flags.keep) Progress("kept " + scratch->path().string());
  return 0;
}

}  // namespace
}  // namespace incontra::bench

int main(int argc, char** argv) { return incontra::bench::Main(argc, argv); }
