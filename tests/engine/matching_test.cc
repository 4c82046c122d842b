// Matching (engine/matching.h): who may be matched with whom, reciprocity, a PA's needs as its
// demand, exact top-k against a full ranking on a random corpus with owner contexts, the same
// results on one thread and two, duplicate ids, and the batch result's JSON shape.
#include "engine/matching.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/profile.h"
#include "scoring/text.h"

namespace incontra::engine {
namespace {

Participant P(std::string id, Kind kind, std::vector<std::string> offers,
              std::vector<std::string> seeks = {}, std::string description = "",
              std::vector<std::string> cpv = {}) {
  Participant p;
  p.id = std::move(id);
  p.kind = kind;
  p.name = p.id;
  p.description = std::move(description);
  p.offers = std::move(offers);
  p.seeks = std::move(seeks);
  p.cpv = std::move(cpv);
  return p;
}

Need N(std::string id, std::string owner, std::string title, std::vector<std::string> cpv = {}) {
  Need n;
  n.id = std::move(id);
  n.owner = std::move(owner);
  n.title = std::move(title);
  n.cpv = std::move(cpv);
  return n;
}

Matcher Make(std::vector<Participant> participants, std::vector<Need> needs,
             ScoreWeights weights = {}) {
  auto matcher = Matcher::Create(std::move(participants), std::move(needs), nullptr, weights);
  REQUIRE_MESSAGE(matcher.ok(), matcher.status().ToString());
  return std::move(*matcher);
}

MatchOptions Top(int top, std::optional<Kind> kind = std::nullopt, int threads = 2) {
  MatchOptions o;
  o.top = top;
  o.kind = kind;
  o.threads = threads;
  return o;
}

// The matched ids, sorted: which participants, whatever the order.
std::string IdSet(const Matcher& m, const std::vector<Match>& matches) {
  std::set<std::string> ids;
  for (const Match& x : matches) ids.insert(m.participants()[x.participant].id);
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

// The matched ids in ranking order.
std::string Ids(const Matcher& m, const std::vector<Match>& matches) {
  std::string out;
  for (const Match& x : matches) out += (out.empty() ? "" : " ") + m.participants()[x.participant].id;
  return out;
}

size_t IndexOf(const Matcher& m, const std::string& id) {
  for (size_t i = 0; i < m.participants().size(); ++i) {
    if (m.participants()[i].id == id) return i;
  }
  FAIL("no participant " << id);
  return 0;
}

const Match* Find(const Matcher& m, const std::vector<Match>& matches, const std::string& id) {
  for (const Match& x : matches) {
    if (m.participants()[x.participant].id == id) return &x;
  }
  return nullptr;
}

// Every field of a match, doubles in hexadecimal so equal strings mean equal bits.
std::string Hex(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", v);
  return buffer;
}
std::string Opt(const std::optional<double>& v) { return v ? Hex(*v) : "-"; }
std::string Render(const std::vector<Match>& matches) {
  std::string out;
  for (const Match& m : matches) {
    out += std::to_string(m.participant) + " " + Hex(m.score) + " text=" + Hex(m.why.text) +
           " cpv=" + Opt(m.why.cpv) + " context=" + Opt(m.why.context) +
           " so=" + Opt(m.why.seeks_offers) + " os=" + Opt(m.why.offers_seeks) + " terms=";
    for (const std::string& t : m.why.terms) out += t + ",";
    out += " codes=";
    for (const std::string& c : m.why.codes) out += c + ",";
    out += "\n";
  }
  return out;
}

// ---- Kinds ----

struct KindsFixture {
  Matcher m = Make(
      {P("pa1", Kind::kPa, {}, {}, "servizi di pulizia delle scuole comunali"),
       P("pa2", Kind::kPa, {"pulizia scuole"}),
       P("c1", Kind::kCompany, {"servizi di pulizia scuole"}),
       P("c2", Kind::kCompany, {"pulizia di scuole e palestre"}, {"pulizia delle scuole"}),
       P("r1", Kind::kResearch, {"ricerca su pulizia e igiene delle scuole"}),
       P("o1", Kind::kOther, {"pulizia di scuole e uffici"}),
       P("v1", Kind::kCompany, {"manutenzione del verde"})},
      {N("n1", "pa1", "Servizi di pulizia delle scuole"),
       N("n2", "c2", "Pulizia delle scuole"),       // owned by a company
       N("n3", "nobody", "Pulizia delle scuole")});  // an owner that is not a participant
};

TEST_CASE("matching kinds: a need goes to neither a pa nor its owner") {
  KindsFixture f;
  // Everyone but the PAs shares words with n1 (v1 shares none).
  CHECK(IdSet(f.m, f.m.ForNeed(0, Top(20))) == "c1 c2 o1 r1");
  CHECK(IdSet(f.m, f.m.ForNeed(1, Top(20))) == "c1 o1 r1");  // c2 owns n2
  CHECK(IdSet(f.m, f.m.ForNeed(2, Top(20))) == "c1 c2 o1 r1");
}

TEST_CASE("matching: why.cpv is the code part of the score, for a need and for a participant") {
  // Regression: a participant query's why.cpv was its best single code pair (1 here), a need's
  // the average over the query's codes that the score blends in (0.5): one field, two meanings.
  // A PA whose one need asks for a cleaning code and a building code; a cleaner has the first.
  Matcher m =
      Make({P("pa", Kind::kPa, {}), P("clean", Kind::kCompany, {"pulizia"}, {}, "", {"90919200"})},
           {N("n1", "pa", "pulizia uffici", {"90919200", "45210000"})});
  const std::vector<Match> by_need = m.ForNeed(0, Top(5));
  const std::vector<Match> by_pa = m.ForParticipant(IndexOf(m, "pa"), Top(5));
  REQUIRE(by_need.size() == 1);
  REQUIRE(by_pa.size() == 1);
  REQUIRE(by_need[0].why.cpv.has_value());
  REQUIRE(by_pa[0].why.cpv.has_value());
  CHECK(*by_need[0].why.cpv == doctest::Approx(0.5));
  CHECK(*by_pa[0].why.cpv == doctest::Approx(0.5));
  CHECK(by_pa[0].why.codes == std::vector<std::string>{"90919200"});
  // The company's own query: its offers against the PA's demand, averaged over the company's
  // one code, which the PA asks for.
  const std::vector<Match> by_company = m.ForParticipant(IndexOf(m, "clean"), Top(5));
  REQUIRE(by_company.size() == 1);
  REQUIRE(by_company[0].why.cpv.has_value());
  CHECK(*by_company[0].why.cpv == doctest::Approx(1.0));
}

TEST_CASE("matching regression: two texts sharing only function words do not match") {
  // A small event: no pair is frequent enough to count as common, and "per la" matched.
  Matcher m = Make({P("pa1", Kind::kPa, {}), P("casa", Kind::kCompany, {"pulizie per la casa"}),
                    P("banchi", Kind::kCompany, {"banchi per la scuola"})},
                   {N("n1", "pa1", "arredi per la scuola")});
  CHECK(Ids(m, m.ForNeed(0, Top(5))) == "banchi");
}

TEST_CASE("matching kinds: the kind filter of a need query") {
  KindsFixture f;
  CHECK(IdSet(f.m, f.m.ForNeed(0, Top(20, Kind::kResearch))) == "r1");
  CHECK(IdSet(f.m, f.m.ForNeed(0, Top(20, Kind::kCompany))) == "c1 c2");
  CHECK(IdSet(f.m, f.m.ForNeed(0, Top(20, Kind::kOther))) == "o1");
  CHECK(f.m.ForNeed(0, Top(20, Kind::kPa)).empty());
}

TEST_CASE("matching kinds: never oneself, never pa with pa, the kind filter of a participant "
          "query") {
  KindsFixture f;
  const auto& ps = f.m.participants();
  size_t seen = 0;
  for (std::optional<Kind> kind : {std::optional<Kind>(), std::optional<Kind>(Kind::kPa),
                                   std::optional<Kind>(Kind::kCompany),
                                   std::optional<Kind>(Kind::kResearch)}) {
    const auto all = f.m.ForAllParticipants(Top(20, kind));
    REQUIRE(all.size() == ps.size());
    for (size_t a = 0; a < ps.size(); ++a) {
      CAPTURE(ps[a].id);
      for (const Match& x : all[a]) {
        CAPTURE(ps[x.participant].id);
        CHECK(x.participant != a);
        CHECK_FALSE((ps[a].kind == Kind::kPa && ps[x.participant].kind == Kind::kPa));
        if (kind) CHECK(ps[x.participant].kind == *kind);
        ++seen;
      }
    }
  }
  CHECK(seen > 20);  // the loops above checked something
  // pa1 seeks through its need: cleaning suppliers, and no PA although pa2 writes like them.
  CHECK(IdSet(f.m, f.m.ForParticipant(0, Top(20))) == "c1 c2 o1 r1");
  // A company ranks the PAs, which may meet it.
  const std::string c1 = IdSet(f.m, f.m.ForParticipant(2, Top(20)));
  CHECK(c1.find("pa1") != std::string::npos);
  CHECK(c1.find("c1") == std::string::npos);
}

// ---- Reciprocity ----

TEST_CASE("matching reciprocity: a counterpart that fits both ways ranks first") {
  const std::string x = "consulenza legale sugli appalti pubblici";
  const std::string y = "sviluppo software gestionale";
  Matcher m = Make(
      {P("A", Kind::kCompany, {y}, {x}),
       P("B", Kind::kCompany, {x}, {y}),
       P("C", Kind::kCompany, {x}),                                     // seeks nothing
       P("D", Kind::kCompany, {x}, {"fornitura di arredi per ufficio"}),  // seeks elsewhere
       P("E", Kind::kCompany, {"manutenzione del verde pubblico"}, {"mezzi agricoli"}),
       P("F", Kind::kCompany, {"pulizia di uffici"}, {"detergenti e attrezzature"}),
       P("G", Kind::kResearch, {"ricerca sui materiali"}, {"laboratori di prova"})},
      {});
  const auto ranking = m.ForParticipant(0, Top(10));
  CAPTURE(Ids(m, ranking));
  CAPTURE(Render(ranking));
  REQUIRE_FALSE(ranking.empty());
  CHECK(m.participants()[ranking[0].participant].id == "B");
  const Match* b = Find(m, ranking, "B");
  const Match* c = Find(m, ranking, "C");
  REQUIRE(b != nullptr);
  REQUIRE(c != nullptr);
  CHECK(b->score > c->score);
  const Match* d = Find(m, ranking, "D");
  if (d) CHECK(b->score > d->score);
  REQUIRE(b->why.seeks_offers.has_value());
  REQUIRE(b->why.offers_seeks.has_value());
  CHECK(*b->why.seeks_offers > 0);
  CHECK(*b->why.offers_seeks > 0);
  CHECK(std::abs(b->score - std::sqrt(*b->why.seeks_offers * *b->why.offers_seeks)) <= 1e-9);
  CHECK(c->why.seeks_offers.has_value());
  CHECK_FALSE(c->why.offers_seeks.has_value());  // C seeks nothing
  // And the other way round: B finds A first, for the same two reasons.
  const auto from_b = m.ForParticipant(1, Top(10));
  REQUIRE_FALSE(from_b.empty());
  CHECK(m.participants()[from_b[0].participant].id == "A");
  CHECK(from_b[0].why.seeks_offers.has_value());
  CHECK(from_b[0].why.offers_seeks.has_value());
}

TEST_CASE("matching reciprocity: codes weigh in a direction only when both sides have some") {
  // B has no codes at all, so A's codes cannot be compared with anything of B's: A's adding a
  // code must not change how A's offers fit B's seeks, nor B's score.
  auto ranking_of_a = [](std::vector<std::string> a_codes) {
    Matcher m = Make({P("A", Kind::kCompany, {"sviluppo software gestionale"},
                        {"consulenza legale appalti"}, "", std::move(a_codes)),
                      P("B", Kind::kCompany, {"consulenza legale appalti"},
                        {"sviluppo software gestionale"}),
                      P("E", Kind::kCompany, {"manutenzione verde"}, {"mezzi agricoli"})},
                     {});
    const auto ranking = m.ForParticipant(0, Top(10));
    REQUIRE(ranking.size() == 1);
    REQUIRE(ranking[0].why.offers_seeks.has_value());
    return ranking[0];
  };
  const Match without = ranking_of_a({}), with = ranking_of_a({"72212000"});
  CHECK(*with.why.offers_seeks == doctest::Approx(*without.why.offers_seeks).epsilon(1e-6));
  CHECK(with.score == doctest::Approx(without.score).epsilon(1e-6));
}

TEST_CASE("matching reciprocity: a counterpart whose only supply is its name is ranked one way") {
  // A states only what it seeks; B offers exactly that. A name says who, not what: before the
  // fix A's name made B's seeks-to-A direction count, at 0, and the geometric mean dropped A
  // from B's ranking while B led A's.
  Participant a = P("A", Kind::kCompany, {}, {"software gestionale"});
  a.name = "Alfa";
  Participant b = P("B", Kind::kCompany, {"software gestionale"}, {"consulenza legale"});
  b.name = "Beta";
  Matcher m = Make({a, b}, {});
  const auto from_a = m.ForParticipant(0, Top(10));
  const auto from_b = m.ForParticipant(1, Top(10));
  REQUIRE(from_a.size() == 1);
  REQUIRE(from_b.size() == 1);
  CHECK(m.participants()[from_b[0].participant].id == "A");
  CHECK_FALSE(from_b[0].why.seeks_offers.has_value());
  REQUIRE(from_b[0].why.offers_seeks.has_value());
  // The one direction there is, as if the silent side's were half as good (matching.h).
  CHECK(*from_b[0].why.offers_seeks > 0);
  CHECK(from_b[0].score ==
        doctest::Approx(*from_b[0].why.offers_seeks / std::sqrt(2.0)).epsilon(1e-6));
}

TEST_CASE("matching reciprocity: a PA's needs are its demand") {
  Matcher m = Make({P("comune", Kind::kPa, {}),
                    P("verde", Kind::kCompany, {"manutenzione del verde", "servizi di giardinaggio"}),
                    P("pulito", Kind::kCompany, {"servizi di pulizia di uffici e scuole"}),
                    P("bit", Kind::kCompany, {"servizi informatici"}),
                    P("ateneo", Kind::kResearch, {"servizi di formazione"})},
                   {N("bando", "comune", "servizi di pulizia")});
  const auto ranking = m.ForParticipant(IndexOf(m, "comune"), Top(10));
  CAPTURE(Ids(m, ranking));
  REQUIRE_FALSE(ranking.empty());
  CHECK(m.participants()[ranking[0].participant].id == "pulito");
  CHECK(ranking[0].why.seeks_offers.has_value());
  CHECK(std::find(ranking[0].why.terms.begin(), ranking[0].why.terms.end(), "pulizia") !=
        ranking[0].why.terms.end());
}

TEST_CASE("matching explanations: each match of a participant is explained by its own side") {
  // One ranking mixes matches explained by what A seeks (B supplies it), by what A offers
  // against what the other seeks (C supplies nothing), and, for E who seeks nothing, by how
  // alike the offers are (F). The driving terms are found a kind at a time.
  Matcher m = Make({P("A", Kind::kCompany, {"software gestionale"}, {"pulizia uffici"}),
                    P("B", Kind::kCompany, {"pulizia di uffici e scuole"}),
                    P("C", Kind::kCompany, {}, {"software gestionale per la contabilita"}),
                    P("E", Kind::kCompany, {"stampa manifesti"}),
                    P("F", Kind::kCompany, {"stampa di manifesti e volantini"})},
                   {});
  auto terms_of = [&](const std::vector<Match>& ranking, const std::string& id) {
    for (const Match& x : ranking) {
      if (m.participants()[x.participant].id == id) {
        std::string out;
        for (const std::string& t : x.why.terms) out += t + " ";
        return out;
      }
    }
    return std::string("absent");
  };
  const auto a = m.ForParticipant(IndexOf(m, "A"), Top(10));
  CHECK(terms_of(a, "B") == "pulizia uffici ");
  CHECK(terms_of(a, "C").find("software") != std::string::npos);
  CHECK(terms_of(a, "C").find("pulizia") == std::string::npos);
  const auto e = m.ForParticipant(IndexOf(m, "E"), Top(10));
  CHECK(terms_of(e, "F").find("manifesti") != std::string::npos);
  // The same through the batch, on two threads.
  const auto all = m.ForAllParticipants(Top(10, std::nullopt, 2));
  CHECK(Render(all[IndexOf(m, "A")]) == Render(a));
  CHECK(Render(all[IndexOf(m, "E")]) == Render(e));
}

// ---- A random corpus: several owners, so the contexts are active ----

const std::vector<std::vector<std::string>> kThemes = {
    {"strade", "asfalto", "segnaletica", "ponti", "gallerie", "scavi"},
    {"parchi", "giardini", "verde", "potatura", "alberi", "irrigazione"},
    {"software", "reti", "server", "portale", "dati", "sicurezza"},
    {"mense", "pasti", "cucina", "alimenti", "scuole", "trasporti"},
    {"pulizia", "uffici", "rifiuti", "disinfestazione", "igiene", "edifici"},
    {"formazione", "consulenza", "traduzioni", "stampa", "manifesti", "eventi"}};
const std::vector<std::string> kCodes = {"45233000", "45233141", "77310000", "77311000",
                                         "72212000", "72000000", "55523100", "90910000"};

std::string ThemeText(std::mt19937& rng, size_t theme, size_t words) {
  std::string text;
  for (size_t w = 0; w < words; ++w) {
    // Mostly the theme's words, sometimes another theme's: candidates overlap.
    const size_t t = rng() % 4 == 0 ? rng() % kThemes.size() : theme;
    text += (w ? " " : "") + kThemes[t][rng() % kThemes[t].size()];
  }
  return text;
}

struct RandomCorpus {
  Matcher m;
  size_t owners = 0;
};

RandomCorpus MakeRandomCorpus(unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Participant> participants;
  const size_t kOwners = kThemes.size();
  for (size_t o = 0; o < kOwners; ++o) {
    participants.push_back(P("pa" + std::to_string(o), Kind::kPa, {}, {}, ThemeText(rng, o, 4)));
  }
  const Kind kinds[] = {Kind::kCompany, Kind::kCompany, Kind::kResearch, Kind::kOther};
  while (participants.size() < 300) {
    const size_t theme = rng() % kThemes.size();
    const std::string id = "p" + std::to_string(participants.size());
    std::vector<std::string> offers, seeks, cpv;
    for (size_t k = 1 + rng() % 3; k > 0; --k) offers.push_back(ThemeText(rng, theme, 1 + rng() % 4));
    for (size_t k = rng() % 2; k > 0; --k) seeks.push_back(ThemeText(rng, rng() % kThemes.size(), 2));
    if (rng() % 2) cpv.push_back(kCodes[rng() % kCodes.size()]);
    participants.push_back(P(id, kinds[rng() % 4], offers, seeks,
                             rng() % 2 ? ThemeText(rng, theme, 1 + rng() % 6) : "", cpv));
    if (rng() % 10 == 0) {  // a twin with the same texts: its scores tie with the original's
      Participant twin = participants.back();
      twin.id += "-twin";
      participants.push_back(std::move(twin));
    }
  }
  std::vector<Need> needs;
  for (size_t n = 0; n < 30; ++n) {  // interleaved owners, so needs do not come grouped
    const size_t owner = n % kOwners;
    Need need = N("n" + std::to_string(n), "pa" + std::to_string(owner),
                  ThemeText(rng, owner, 2 + rng() % 3));
    if (rng() % 3 == 0) need.cpv.push_back(kCodes[rng() % kCodes.size()]);
    if (rng() % 2) need.description = ThemeText(rng, owner, 3);
    needs.push_back(std::move(need));
  }
  return {Make(std::move(participants), std::move(needs)), kOwners};
}

TEST_CASE("matching top-k: the first k of the full ranking, ordered, positive, owners' context") {
  RandomCorpus corpus = MakeRandomCorpus(11);
  const Matcher& m = corpus.m;
  const auto& ps = m.participants();
  const int everyone = static_cast<int>(ps.size());
  size_t ties = 0, with_context = 0, negative_context = 0, matched = 0;
  for (size_t n = 0; n < m.needs().size(); ++n) {
    CAPTURE(m.needs()[n].id);
    const std::vector<Match> full = m.ForNeed(n, Top(everyone));
    REQUIRE(full.size() < ps.size());  // not cut: the PAs at least are out
    matched += full.size();
    for (size_t k = 0; k < full.size(); ++k) {
      CAPTURE(k);
      const Match& x = full[k];
      CHECK(x.score > 0);
      CHECK(ps[x.participant].kind != Kind::kPa);
      CHECK(ps[x.participant].id != m.needs()[n].owner);
      if (x.why.context) {
        ++with_context;
        CHECK(*x.why.context <= 0);
        if (*x.why.context < 0) ++negative_context;
      }
      if (k > 0) {
        CHECK(x.score <= full[k - 1].score);
        if (x.score == full[k - 1].score) {
          ++ties;
          CHECK(x.participant > full[k - 1].participant);
        }
      }
    }
    for (int top : {0, 1, 2, 5, 17, 60}) {
      CAPTURE(top);
      const std::vector<Match> first(
          full.begin(), full.begin() + std::min<long>(top, static_cast<long>(full.size())));
      CHECK(Render(m.ForNeed(n, Top(top))) == Render(first));
    }
  }
  CHECK(matched > 30 * 20);
  CHECK(ties > 0);              // twins tie, so the tie order was checked
  CHECK(with_context > 0);      // several owners: contexts are on
  CHECK(negative_context > 0);  // and they tell candidates apart
}

// ---- The need's owner: whom it names, what is local to it ----

Participant Named(std::string id, std::string name, std::vector<std::string> offers) {
  Participant p = P(std::move(id), Kind::kCompany, std::move(offers));
  p.name = std::move(name);
  return p;
}

// Two buyers write about different places; Idraulica Fontana (c1) has worked for the other
// one. Need 4 names it, need 5 does not.
std::pair<std::vector<Participant>, std::vector<Need>> NamedSupplierEvent() {
  return {{P("pa1", Kind::kPa, {}), P("pa2", Kind::kPa, {}),
           Named("c1", "Idraulica Fontana", {"riparazione tubature municipio lungomare"}),
           Named("c2", "Tubi Srl", {"riparazione tubature scuola collinare"})},
          {N("n1", "pa1", "Giardini della scuola collinare"),
           N("n2", "pa1", "Pulizia della scuola collinare"),
           N("n3", "pa2", "Pulizia del municipio lungomare"),
           N("n4", "pa2", "Illuminazione del municipio lungomare"),
           N("named", "pa1", "Riparazione tubature: affidamento a Idraulica Fontana"),
           N("plain", "pa1", "Riparazione tubature")}};
}

TEST_CASE("matching owner: a need that names its supplier is not held back by the owner's context") {
  auto [participants, needs] = NamedSupplierEvent();
  Matcher m = Make(std::move(participants), std::move(needs));
  auto c1_in = [&](size_t need) {
    const std::vector<Match> ranked = m.ForNeed(need, Top(5));
    const Match* x = Find(m, ranked, "c1");
    REQUIRE(x != nullptr);
    return *x;
  };
  const Match named = c1_in(4), plain = c1_in(5);
  REQUIRE(plain.why.context.has_value());
  CHECK(*plain.why.context < 0);  // c1 reads like pa2's supplier, not pa1's
  // Named, the context is not applied, so not shown (it was, as if it had held c1 back).
  CHECK_FALSE(named.why.context.has_value());
  CHECK(named.score == static_cast<double>(static_cast<float>(named.why.text)));
  CHECK(plain.score < plain.why.text);
  // Named, it comes first; otherwise the local supplier does.
  CHECK(Ids(m, m.ForNeed(4, Top(1))) == "c1");
  CHECK(Ids(m, m.ForNeed(5, Top(1))) == "c2");
}

TEST_CASE("matching owner: a named supplier keeps its place when the context factor underflows") {
  // The context weighed so heavily that the named supplier's factor is 0 in float: the need
  // still names it, so it is still ranked, at its text score.
  ScoreWeights weights;
  weights.context = 1e6;
  auto [participants, needs] = NamedSupplierEvent();
  Matcher m = Make(std::move(participants), std::move(needs), weights);
  const std::vector<Match> ranked = m.ForNeed(4, Top(5));
  const Match* c1 = Find(m, ranked, "c1");
  REQUIRE(c1 != nullptr);
  CHECK_FALSE(c1->why.context.has_value());  // spared, so not shown
  CHECK(c1->score == static_cast<double>(static_cast<float>(c1->why.text)));
  // The factor it is spared is 0 in float: where the need does not name it, it is not ranked.
  CHECK(Find(m, m.ForNeed(5, Top(5)), "c1") == nullptr);
  CHECK(Ids(m, m.ForNeed(4, Top(1))) == "c1");
}

TEST_CASE("matching owner: a candidate that reads more like another buyer is held back more") {
  // c1 reads like pa2's supplier, c2 like pa1's; the need is pa1's and names neither.
  auto [participants, needs] = NamedSupplierEvent();
  Matcher m = Make(std::move(participants), std::move(needs));
  const std::vector<Match> ranked = m.ForNeed(5, Top(5));
  const Match* c1 = Find(m, ranked, "c1");
  const Match* c2 = Find(m, ranked, "c2");
  REQUIRE(c1 != nullptr);
  REQUIRE(c2 != nullptr);
  REQUIRE(c1->why.context.has_value());
  REQUIRE(c2->why.context.has_value());
  CHECK(*c1->why.context < 0);
  CHECK(*c2->why.context == 0);
  const ScoreWeights weights;
  CHECK(c2->score == doctest::Approx(c2->why.text).epsilon(1e-6));
  // Its gap's factor, and other_buyer besides; why.context shows both, so that the score can
  // be read off the why (it showed the gap alone, and the x 0.85 could not be seen).
  CHECK(c1->score ==
        doctest::Approx(c1->why.text * std::exp(weights.context * *c1->why.context)).epsilon(1e-6));
  ScoreWeights without = weights;
  without.other_buyer = 1;
  auto [ps, ns] = NamedSupplierEvent();
  Matcher plain = Make(std::move(ps), std::move(ns), without);
  const std::vector<Match> ranked_plain = plain.ForNeed(5, Top(5));
  const Match* c1_plain = Find(plain, ranked_plain, "c1");
  REQUIRE(c1_plain != nullptr);
  CHECK(c1->score == doctest::Approx(c1_plain->score * weights.other_buyer).epsilon(1e-6));
  CHECK(weights.other_buyer < 1);
}

TEST_CASE("matching owner: a word local to the need's owner weighs less than what it buys") {
  // pa1's needs keep naming its district, Pirri; pa2's never do.
  std::vector<Participant> ps{P("pa1", Kind::kPa, {}), P("pa2", Kind::kPa, {}),
                              P("place", Kind::kCompany, {"lavori stradali a Pirri"}),
                              P("object", Kind::kCompany, {"manutenzione del verde"})};
  std::vector<Need> ns{N("q", "pa1", "Manutenzione del verde di Pirri"),
                       N("a1", "pa1", "Pulizia delle strade di Pirri"),
                       N("a2", "pa1", "Illuminazione della piazza di Pirri"),
                       N("a3", "pa1", "Arredi della scuola di Pirri"),
                       N("b1", "pa2", "Pulizia degli uffici comunali"),
                       N("b2", "pa2", "Illuminazione del parco"),
                       N("b3", "pa2", "Arredi della biblioteca")};
  auto ratio = [&](double owner_local) {
    ScoreWeights weights;
    weights.owner_local = owner_local;
    auto m = Matcher::Create(ps, ns, nullptr, weights);
    REQUIRE(m.ok());
    const std::vector<Match> ranked = m->ForNeed(0, Top(5));
    const Match* place = Find(*m, ranked, "place");
    const Match* object = Find(*m, ranked, "object");
    REQUIRE(place != nullptr);
    REQUIRE(object != nullptr);
    return place->why.text / object->why.text;
  };
  const double off = ratio(0), on = ratio(1);
  CHECK(on < off * 0.9);
}

// ---- Feedback: what a need's best candidates supply ----

// The event's matcher with feedback from a need's one best candidate, taking this share.
Matcher WithFeedback(const std::vector<Participant>& ps, const std::vector<Need>& ns,
                     double feedback) {
  ScoreWeights weights;
  weights.feedback = feedback;
  weights.feedback_candidates = 1;
  return Make(ps, ns, weights);
}

TEST_CASE("matching feedback: a candidate that supplies what the best one does rises") {
  // Toner is all the need says. Beta's offer names it among the cartridges and printers that
  // the best match, Alfa, supplies too; Gamma's short offer names it beside cleaning.
  std::vector<Participant> ps{
      P("pa1", Kind::kPa, {}),
      P("alfa", Kind::kCompany,
        {"fornitura toner", "toner e cartucce inkjet", "cartucce per stampanti"}),
      P("beta", Kind::kCompany, {"cartucce inkjet e toner per stampanti"}),
      P("gamma", Kind::kCompany, {"toner e pulizie"})};
  std::vector<Need> ns{N("q", "pa1", "Fornitura toner")};
  auto ranked = [&](double feedback) {
    const Matcher m = WithFeedback(ps, ns, feedback);
    return Ids(m, m.ForNeed(0, Top(5)));
  };
  CHECK(ranked(0) == "alfa gamma beta");
  CHECK(ranked(ScoreWeights{}.feedback) == "alfa beta gamma");
}

TEST_CASE("matching feedback: the best candidates keep their own evidence") {
  // Alfa, the best, is the model: scored against it, it would gain most. It keeps its text,
  // scaled as everyone's by the share feedback takes.
  std::vector<Participant> ps{P("pa1", Kind::kPa, {}),
                              P("alfa", Kind::kCompany, {"fornitura toner", "cartucce inkjet"}),
                              P("beta", Kind::kCompany, {"cartucce inkjet e toner"})};
  std::vector<Need> ns{N("q", "pa1", "Fornitura toner")};
  auto alfa = [&](double feedback) {
    const Matcher m = WithFeedback(ps, ns, feedback);
    const std::vector<Match> ranked = m.ForNeed(0, Top(5));
    REQUIRE(Ids(m, ranked) == "alfa beta");
    return ranked[0].score;
  };
  CHECK(alfa(0.1) == doctest::Approx(0.9 * alfa(0)).epsilon(1e-6));
}

// The model's candidates get no feedback of their own. Taking the first five of a tie by index
// made eight alike suppliers score apart by their order in the input: the three left out of
// the model gained by resembling it (regression, found on the dev set shuffled).
TEST_CASE("matching feedback: candidates alike score alike, whatever their order in the input") {
  std::vector<Participant> ps{P("pa1", Kind::kPa, {}),
                              P("sale", Kind::kCompany, {"sgombero neve e sale"}),
                              P("strade", Kind::kCompany, {"manutenzione strade comunali"})};
  for (const char* id :
       {"ditta-a", "ditta-b", "ditta-c", "ditta-d", "ditta-e", "ditta-f", "ditta-g", "ditta-h"}) {
    ps.push_back(P(id, Kind::kCompany, {"sgombero neve e spargimento sale su strade comunali"}));
  }
  std::vector<Need> ns{N("q", "pa1", "Sgombero neve dalle strade comunali")};
  auto scores = [&](const std::vector<Participant>& order) {
    const Matcher m = Make(order, ns);
    std::map<std::string, double> out;
    for (const Match& x : m.ForNeed(0, Top(20))) out[m.participants()[x.participant].id] = x.score;
    return out;
  };
  const std::map<std::string, double> forward = scores(ps);
  REQUIRE(forward.size() == 10);
  for (const auto& [id, score] : forward) {
    if (id.rfind("ditta-", 0) == 0) CHECK_MESSAGE(score == forward.at("ditta-a"), id);
  }
  std::vector<Participant> reversed(ps.rbegin(), ps.rend());
  CHECK(scores(reversed) == forward);
}

// A kind filter chose the feedback model among the candidates it let through, so a research
// lab scored one way in the whole ranking and another under `kind=research` (regression).
TEST_CASE("matching feedback: a kind filter only filters, the scores are the whole ranking's") {
  std::vector<Participant> ps{
      P("pa1", Kind::kPa, {}),
      P("alfa", Kind::kCompany,
        {"fornitura toner", "toner e cartucce inkjet", "cartucce per stampanti"}),
      P("beta", Kind::kCompany, {"fornitura toner per stampanti laser"}),
      P("gamma", Kind::kCompany, {"fornitura toner e cartucce"}),
      P("delta", Kind::kCompany, {"fornitura di toner originali"}),
      P("epsilon", Kind::kCompany, {"fornitura toner rigenerati per stampanti"}),
      P("lab1", Kind::kResearch, {"cartucce inkjet e toner per stampanti"}),
      P("lab2", Kind::kResearch, {"toner e pulizie"}),
      P("lab3", Kind::kResearch, {"ricerca su toner a basso impatto"})};
  std::vector<Need> ns{N("q", "pa1", "Fornitura toner")};
  const Matcher m = Make(ps, ns);
  std::string whole, filtered;
  for (const Match& x : m.ForNeed(0, Top(10))) {
    if (m.participants()[x.participant].kind == Kind::kResearch) {
      whole += m.participants()[x.participant].id + " " + std::to_string(x.score) + "\n";
    }
  }
  for (const Match& x : m.ForNeed(0, Top(10, Kind::kResearch))) {
    filtered += m.participants()[x.participant].id + " " + std::to_string(x.score) + "\n";
  }
  CHECK(std::count(whole.begin(), whole.end(), '\n') == 3);
  CHECK(filtered == whole);
}

TEST_CASE("matching participants: every counterpart sharing words both ways is ranked, top k exact") {
  // Participant ranking only looks at candidates some component reaches. Checked against the
  // texts themselves and the rules of engine/matching.h: a counterpart that may meet, with
  // words in common in each direction that counts for it (my seeks and needs with its offers,
  // my offers with its seeks; with neither side seeking, my offers with its offers), must be
  // in the full ranking. And the first k of it are what a top-k query gives.
  RandomCorpus corpus = MakeRandomCorpus(5);
  const Matcher& m = corpus.m;
  const auto& ps = m.participants();
  scoring::Analyzer analyzer;
  auto words = [&](const std::vector<std::string>& texts) {
    std::set<std::string> out;
    for (const std::string& t : texts) {
      for (std::string& w : analyzer.Terms(t)) {
        if (!scoring::HasDigit(w)) out.insert(std::move(w));
      }
    }
    return out;
  };
  auto shares = [](const std::set<std::string>& x, const std::set<std::string>& y) {
    return std::any_of(x.begin(), x.end(), [&](const std::string& w) { return y.count(w) > 0; });
  };
  auto offers = [&](const Participant& p) {  // what a query offers: no name
    std::vector<std::string> texts = p.offers;
    texts.push_back(p.description);
    return words(texts);
  };
  auto supply = [&](const Participant& p) {  // what a candidate offers: with its name
    std::set<std::string> out = offers(p);
    for (const std::string& w : words({p.name})) out.insert(w);
    return out;
  };
  auto demand = [&](const Participant& p) {
    std::vector<std::string> texts = p.seeks;
    for (const Need& n : m.needs()) {
      if (n.owner == p.id) texts.insert(texts.end(), {n.title, n.description});
    }
    return words(texts);
  };
  auto demand_codes = [&](const Participant& p) {
    bool any = p.kind == Kind::kPa && !p.cpv.empty();
    for (const Need& n : m.needs()) any = any || (n.owner == p.id && !n.cpv.empty());
    return any;
  };
  auto supply_codes = [](const Participant& p) { return p.kind != Kind::kPa && !p.cpv.empty(); };
  size_t checked = 0;
  for (size_t a = 0; a < ps.size(); a += 5) {
    const Participant& me = ps[a];
    CAPTURE(me.id);
    const std::vector<Match> full = m.ForParticipant(a, Top(static_cast<int>(ps.size())));
    std::set<size_t> ranked;
    for (const Match& x : full) ranked.insert(x.participant);
    const auto my_demand = demand(me), my_offers = offers(me);
    const bool i_seek = !my_demand.empty() || demand_codes(me);
    const bool i_offer = !my_offers.empty() || supply_codes(me);
    for (size_t i = 0; i < ps.size(); ++i) {
      const Participant& other = ps[i];
      if (i == a || !KindsMayMeet(me.kind, other.kind)) continue;
      const auto its_supply = supply(other), its_demand = demand(other);
      const bool forward = i_seek && (!its_supply.empty() || supply_codes(other));
      const bool backward = i_offer && (!its_demand.empty() || demand_codes(other));
      bool related = false;
      if (forward && backward) {
        related = shares(my_demand, its_supply) && shares(my_offers, its_demand);
      } else if (forward) {
        related = shares(my_demand, its_supply);
      } else if (backward) {
        related = shares(my_offers, its_demand);
      } else if (i_offer) {
        related = shares(my_offers, its_supply);
      }
      if (!related) continue;
      CAPTURE(other.id);
      CHECK(ranked.count(i) == 1);
      ++checked;
    }
    for (int top : {1, 3, 10}) {
      const std::vector<Match> first(
          full.begin(), full.begin() + std::min<long>(top, static_cast<long>(full.size())));
      CHECK(Render(m.ForParticipant(a, Top(top))) == Render(first));
    }
  }
  CHECK(checked > 100);
}

TEST_CASE("matching regression: a need that reaches every candidate, then one again, ranks them all") {
  // Ranking lists each candidate reached by writing its slot before knowing whether it is new;
  // once every candidate was reached, the next posting wrote one slot past the list (a heap
  // overflow ASan caught in a two-company event). The list has room for it now.
  const std::vector<Participant> people = {
      P("a", Kind::kCompany, {"manutenzione verde pubblico"}),
      P("b", Kind::kCompany, {"manutenzione verde pubblico", "verde"})};
  Matcher m = Make(people, {N("n1", "pa", "Manutenzione verde pubblico"),
                            N("n2", "pa", "manutenzione del verde")});
  for (int threads : {1, 2}) {
    const auto all = m.ForAllNeeds(Top(5, std::nullopt, threads));
    REQUIRE(all.size() == 2);
    CHECK(IdSet(m, all[0]) == "a b");
    CHECK(IdSet(m, all[1]) == "a b");
  }
  CHECK(IdSet(m, m.ForNeed(0, Top(5))) == "a b");
}

TEST_CASE("matching top-k: among many equal scores the lower indexes win, however offers are cut") {
  // The k best are kept by cutting the offers back to k once 4k + 64 have gathered; ties at
  // the k-th score must still go to the lower index, and a better candidate late must still
  // get in. 95 equal candidates: cut for k = 1 and 5, not for 20; under 100, no word of theirs
  // is too common to reach them.
  std::vector<Participant> people;
  for (int i = 0; i < 95; ++i) {
    people.push_back(P("c" + std::to_string(1000 + i), Kind::kCompany, {"manutenzione verde"}));
  }
  people.push_back(P("best", Kind::kCompany, {"manutenzione verde pubblico parchi"}));
  Matcher m = Make(people, {N("n", "pa", "manutenzione verde pubblico parchi")});
  for (int top : {1, 5, 20}) {
    CAPTURE(top);
    const auto ranked = m.ForNeed(0, Top(top));
    REQUIRE(ranked.size() == static_cast<size_t>(top));
    std::string expected = "best";
    for (int i = 0; i + 1 < top; ++i) expected += " c" + std::to_string(1000 + i);
    CHECK(Ids(m, ranked) == expected);
  }
  const auto all = m.ForNeed(0, Top(1000));
  CHECK(all.size() == people.size());
}

TEST_CASE("matching threads: a sink gets every need once, as the collected ranking has it") {
  RandomCorpus corpus = MakeRandomCorpus(13);
  const Matcher& m = corpus.m;
  const auto collected = m.ForAllNeeds(Top(10, std::nullopt, 1));
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    std::vector<std::string> got(m.needs().size());
    std::vector<int> calls(m.needs().size(), 0);
    std::mutex lock;
    m.ForAllNeeds(Top(10, std::nullopt, threads), [&](size_t n, std::vector<Match> matches) {
      const std::string rendered = Render(matches);
      std::lock_guard<std::mutex> guard(lock);
      ++calls[n];
      got[n] = rendered;
    });
    for (size_t n = 0; n < got.size(); ++n) {
      CAPTURE(n);
      CHECK(calls[n] == 1);
      CHECK(got[n] == Render(collected[n]));
    }
  }
}

TEST_CASE("matching threads: ForAllNeeds on one thread and two equals ForNeed per need") {
  RandomCorpus corpus = MakeRandomCorpus(12);
  const Matcher& m = corpus.m;
  std::string one_by_one;
  for (size_t n = 0; n < m.needs().size(); ++n) {
    one_by_one += m.needs()[n].id + ":\n" + Render(m.ForNeed(n, Top(10)));
  }
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    const auto all = m.ForAllNeeds(Top(10, std::nullopt, threads));
    REQUIRE(all.size() == m.needs().size());
    std::string rendered;
    for (size_t n = 0; n < all.size(); ++n) rendered += m.needs()[n].id + ":\n" + Render(all[n]);
    CHECK(rendered == one_by_one);
  }
  CHECK(one_by_one.size() > 30 * 10 * 20);  // the rankings are not empty

  std::string participants_one_by_one;
  for (size_t p = 0; p < m.participants().size(); ++p) {
    participants_one_by_one += Render(m.ForParticipant(p, Top(5)));
  }
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    std::string rendered;
    for (const auto& r : m.ForAllParticipants(Top(5, std::nullopt, threads))) rendered += Render(r);
    CHECK(rendered == participants_one_by_one);
  }
}

// ---- Errors and JSON ----

TEST_CASE("matching create: duplicate participant or need ids are refused") {
  {
    auto m = Matcher::Create({P("a", Kind::kCompany, {"x"}), P("b", Kind::kCompany, {"y"}),
                              P("a", Kind::kResearch, {"z"})},
                             {}, nullptr);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == "match.duplicate_id");
    CHECK(m.status().message().find("'a'") != std::string::npos);
  }
  {
    auto m = Matcher::Create({P("a", Kind::kPa, {})},
                             {N("n1", "a", "pulizia"), N("n2", "a", "verde"), N("n1", "a", "x")},
                             nullptr);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == "match.duplicate_id");
    CHECK(m.status().message().find("'n1'") != std::string::npos);
  }
  // A need may share an id with a participant: they are different records.
  auto ok = Matcher::Create({P("x", Kind::kPa, {})}, {N("x", "x", "pulizia")}, nullptr);
  CHECK(ok.ok());
}

TEST_CASE("matching json: the batch result line of FORMATS.md") {
  Matcher m = Make({P("comune", Kind::kPa, {}, {"servizi di pulizia"}),
                    P("pulito", Kind::kCompany, {"servizi di pulizia di scuole"}, {}, "",
                          {"90919300"}),
                    P("bit", Kind::kCompany, {"servizi informatici"}, {"servizi di pulizia"})},
                   {N("bando-1", "comune", "Servizi di pulizia delle scuole", {"90910000"})});
  for (const bool by_need : {true, false}) {
    CAPTURE(by_need);
    const auto matches = by_need ? m.ForNeed(0, Top(10)) : m.ForParticipant(0, Top(10));
    REQUIRE(matches.size() == 2);
    const nlohmann::json j = by_need
                                 ? MatchesToJson("need", "bando-1", matches, m.participants())
                                 : MatchesToJson("participant", "comune", matches, m.participants());
    REQUIRE(j.is_object());
    CHECK(j.size() == 2);
    CHECK(j[by_need ? "need" : "participant"] == (by_need ? "bando-1" : "comune"));
    REQUIRE(j["matches"].is_array());
    REQUIRE(j["matches"].size() == matches.size());
    for (size_t k = 0; k < matches.size(); ++k) {
      CAPTURE(k);
      const nlohmann::json& x = j["matches"][k];
      CHECK(x.size() == 3);
      CHECK(x["participant"] == m.participants()[matches[k].participant].id);
      REQUIRE(x["score"].is_number());
      CHECK(std::abs(x["score"].get<double>() - matches[k].score) <= 0.5e-4);
      if (k > 0) CHECK(x["score"].get<double>() <= j["matches"][k - 1]["score"].get<double>());
      const nlohmann::json& why = x["why"];
      REQUIRE(why.is_object());
      REQUIRE(why["text"].is_number());
      CHECK(std::abs(why["text"].get<double>() - matches[k].why.text) <= 0.5e-4);
      REQUIRE(why["terms"].is_array());
      CHECK(why["terms"] == nlohmann::json(matches[k].why.terms));
      CHECK(why.contains("cpv") == matches[k].why.cpv.has_value());
      CHECK(why.contains("codes") == !matches[k].why.codes.empty());
    }
    // The cleaning company, with words and codes in common, explains itself in both.
    const nlohmann::json& first = j["matches"][0];
    CHECK(first["participant"] == "pulito");
    CHECK(first["why"]["terms"].size() >= 1);
    if (by_need) {
      CHECK(first["why"]["codes"] == nlohmann::json({"90910000 ~ 90919300"}));
    }
  }
}

}  // namespace
TEST_CASE("matching participants: a result holds room for its top k only") {
  // Regression: a participant's ranking built a Match for every candidate and cut the vector
  // to k, which kept its capacity; ForAllParticipants holds one result per participant, so
  // memory grew with the square of their number (14.5 GB for the dev set's 17,059).
  std::vector<Participant> people = {P("comune", Kind::kPa, {}, {"servizi di pulizia"})};
  for (int i = 0; i < 300; ++i) {
    people.push_back(P("c" + std::to_string(i), Kind::kCompany,
                       {"servizi di pulizia " + std::to_string(i)}));
  }
  Matcher m = Make(people, {});
  const auto one = m.ForParticipant(0, Top(5));
  CHECK(one.size() == 5);
  CHECK(one.capacity() <= 5);
  const auto all = m.ForAllParticipants(Top(5));
  for (const auto& ranking : all) CHECK(ranking.capacity() <= 5);
}

TEST_CASE("matching json: numbers have four decimals at most, and any double stays valid JSON") {
  const std::vector<Participant> people = {P("a", Kind::kCompany, {"x"})};
  auto number = [&](double v) {
    Match m;
    m.score = v;
    m.why.text = 0;
    const std::string line = MatchesJsonLine("need", "n", {m}, people);
    const std::string key = "\"score\":";
    const size_t at = line.find(key) + key.size();
    return line.substr(at, line.find(',', at) - at);
  };
  CHECK(number(0.5) == "0.5");
  CHECK(number(0.25) == "0.25");
  CHECK(number(0.123456) == "0.1235");
  CHECK(number(0.99996) == "1");
  CHECK(number(1e-5) == "0");
  CHECK(number(-1e-5) == "0");  // never "-0"
  CHECK(number(0) == "0");
  CHECK(number(3) == "3");
  // Strings are escaped where JSON needs it and passed through elsewhere (UTF-8 included).
  const std::string id = "a\"b\\c\x01d città";
  CHECK(MatchesToJson("need", id, {}, people)["need"] == id);
  // Regression: the old 32-byte buffer cut a huge value short (and read past it). Every
  // digit is written now, and the line parses.
  const std::string huge = number(1e300);
  CHECK(huge.size() == 301);
  Match m;
  m.score = 1e300;
  CHECK(MatchesToJson("need", "n", {m}, people)["matches"][0]["score"].get<double>() ==
        doctest::Approx(1e300));
}

TEST_CASE("matching json: a line at its longest (every number huge, every character escaped) is whole") {
  // The line is written into a buffer sized beforehand from the matches: the longest each
  // piece can be must fit, and what is written must parse back to what was given.
  const std::string hostile = std::string(40, '\x01') + "\"\\ città";
  const std::vector<Participant> people = {P(hostile, Kind::kCompany, {"x"})};
  Match m;
  m.score = -1.7e308;
  m.why.text = 1.7e308;
  m.why.cpv = -1e300;
  m.why.context = -1e300;
  m.why.seeks_offers = 1e300;
  m.why.offers_seeks = -1e300;
  m.why.terms = std::vector<std::string>(8, hostile);
  m.why.codes = {hostile, "72000000 ~ 72212000"};
  const std::vector<Match> matches(100, m);
  const std::string line = MatchesJsonLine("participant", hostile, matches, people);
  const nlohmann::json j = nlohmann::json::parse(line);
  CHECK(j["participant"] == hostile);
  REQUIRE(j["matches"].size() == 100);
  const auto& last = j["matches"][99];
  CHECK(last["participant"] == hostile);
  CHECK(last["score"].get<double>() == doctest::Approx(-1.7e308));
  CHECK(last["why"]["offers_seeks"].get<double>() == doctest::Approx(-1e300));
  CHECK(last["why"]["terms"].size() == 8);
  CHECK(last["why"]["terms"][7] == hostile);
  CHECK(last["why"]["codes"][1] == "72000000 ~ 72212000");
  // With its newline (written in place, within the same bound), the line is the same plus '\n'.
  CHECK(MatchesJsonLine("participant", hostile, matches, people, /*newline=*/true) == line + "\n");
}

}  // namespace incontra::engine
