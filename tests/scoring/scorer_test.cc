// The matching scorer: BM25F text scores against a brute force written here from the documented
// formula, numbers that never match, CPV similarity averaged over the query's codes, the words
// that explain a match, and the askers' context models.
#include "scoring/scorer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "scoring/cpv.h"
#include "scoring/cpv_labels.h"
#include "scoring/text.h"

namespace incontra::scoring {
namespace {

std::vector<float> TextScores(const Scorer& scorer, Side side, const Query& q) {
  std::vector<float> out(scorer.size(), -1.0f);
  scorer.Text(side, q, out.data());
  return out;
}

std::vector<float> CpvScores(const Scorer& scorer, Side side, const Query& q) {
  std::vector<float> out(scorer.size(), -1.0f);
  scorer.Cpv(side, q, out.data());
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "|" : "") + v[i];
  return out + "]";
}

Profile Offering(std::string name, std::vector<std::string> offers, std::string description = "") {
  Profile p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.offers = std::move(offers);
  return p;
}

// ---- Brute-force BM25F, from the formula in scorer.h / bm25.h, on the analyser's terms. ----

struct Field {
  double weight, b;
};

// docs[d][f]: the terms of field f of document d. Returns, per document, the BM25F score of the
// weighted query divided by sum over the query's known terms of weight x idf x (k1 + 1).
std::vector<double> BruteBm25F(const std::vector<std::vector<std::vector<std::string>>>& docs,
                               const std::vector<Field>& fields, double k1,
                               const std::map<std::string, double>& query) {
  const size_t n = docs.size(), nf = fields.size();
  std::vector<double> average(nf, 0.0);
  std::map<std::string, int> df;
  for (const auto& doc : docs) {
    std::map<std::string, bool> seen;
    for (size_t f = 0; f < nf; ++f) {
      average[f] += static_cast<double>(doc[f].size()) / static_cast<double>(n);
      for (const std::string& t : doc[f]) seen[t] = true;
    }
    for (const auto& [t, _] : seen) ++df[t];
  }
  auto idf = [&](const std::string& t) {
    const double d = df.at(t);
    return std::log(1.0 + (static_cast<double>(n) - d + 0.5) / (d + 0.5));
  };
  double bound = 0;
  for (const auto& [t, w] : query) {
    if (df.count(t)) bound += w * idf(t) * (k1 + 1.0);
  }
  std::vector<double> out(n, 0.0);
  if (bound == 0) return out;
  for (size_t d = 0; d < n; ++d) {
    double score = 0;
    for (const auto& [t, w] : query) {
      if (!df.count(t)) continue;
      double tf = 0;
      for (size_t f = 0; f < nf; ++f) {
        const double count =
            static_cast<double>(std::count(docs[d][f].begin(), docs[d][f].end(), t));
        if (count == 0) continue;
        const double norm =
            1.0 - fields[f].b + fields[f].b * static_cast<double>(docs[d][f].size()) / average[f];
        tf += fields[f].weight * count / norm;
      }
      score += w * idf(t) * tf * (k1 + 1.0) / (tf + k1);
    }
    out[d] = score / bound;
  }
  return out;
}

// Thirty Italian words whose stems are pairwise distinct (checked below).
const std::vector<std::string> kVocabulary = {
    "strade",   "parchi",     "giardini",   "illuminazione", "cimiteri",    "edifici",
    "software", "reti",       "impianti",   "arredi",        "cancelleria", "trasporti",
    "mense",    "rifiuti",    "acqua",      "energia",       "consulenza",  "formazione",
    "sicurezza", "vigilanza", "stampa",     "manifesti",     "traduzioni",  "veicoli",
    "ponti",    "gallerie",   "fognature",  "scavi",         "asfalto",     "segnaletica"};

std::string RandomText(std::mt19937& rng, size_t min_words, size_t max_words) {
  const size_t words = min_words + rng() % (max_words - min_words + 1);
  std::string text;
  for (size_t w = 0; w < words; ++w) {
    text += (w ? " " : "") + kVocabulary[rng() % kVocabulary.size()];
  }
  return text;
}

std::vector<std::string> Terms(Analyzer& a, const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const std::string& t : texts) {
    for (std::string& term : a.Terms(t)) out.push_back(std::move(term));
  }
  return out;
}

TEST_CASE("scorer text: BM25F equals a brute force on random corpora, both sides") {
  Analyzer analyzer;
  {  // The vocabulary is what the test thinks it is: thirty distinct terms, one per word.
    std::vector<std::string> terms = Terms(analyzer, kVocabulary);
    REQUIRE(terms.size() == kVocabulary.size());
    std::sort(terms.begin(), terms.end());
    CHECK(std::unique(terms.begin(), terms.end()) == terms.end());
  }
  // Weights other than the defaults, so a weight the scorer ignored would show; query words
  // weighed by occurrences only (adaptation has its own test).
  ScorerOptions options;
  options.adaptation = 0;
  options.name_weight = 1.7;
  options.description_weight = 0.6;
  options.offers_weight = 1.3;
  options.seeks_weight = 0.9;
  CHECK(options.k1 == ScorerOptions{}.k1);
  const std::vector<Field> supply_fields = {{options.name_weight, 0.5},
                                            {options.description_weight, 0.75},
                                            {options.offers_weight, options.offers_b}};
  const std::vector<Field> demand_fields = {{options.seeks_weight, 0.75}};

  for (unsigned seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    std::vector<Profile> candidates(200);
    std::vector<std::vector<std::vector<std::string>>> supply_docs, demand_docs;
    for (Profile& p : candidates) {
      p.name = RandomText(rng, 0, 2);
      p.description = RandomText(rng, 0, 8);
      for (size_t k = rng() % 4; k > 0; --k) p.offers.push_back(RandomText(rng, 1, 4));
      for (size_t k = rng() % 3; k > 0; --k) p.seeks.push_back(RandomText(rng, 1, 3));
      supply_docs.push_back({analyzer.Terms(p.name), analyzer.Terms(p.description),
                             Terms(analyzer, p.offers)});
      demand_docs.push_back({Terms(analyzer, p.seeks)});
    }
    Scorer scorer(candidates, nullptr, options);
    REQUIRE(scorer.size() == candidates.size());

    size_t compared = 0, positive = 0, disordered = 0, out_of_range = 0;
    double worst = 0;
    std::string worst_at;
    for (int q = 0; q < 25; ++q) {
      // Repeats allowed (they weigh by occurrences), plus sometimes a word no candidate uses.
      std::vector<std::string> texts = {RandomText(rng, 1, 4)};
      if (q % 5 == 0) texts.push_back("zanzariere");
      const Query query = scorer.Analyze(texts, {});
      std::map<std::string, double> counted;
      for (const std::string& t : Terms(analyzer, texts)) counted[t] += 1;
      for (Side side : {Side::kSupply, Side::kDemand}) {
        const auto& docs = side == Side::kSupply ? supply_docs : demand_docs;
        const std::vector<double> expected = BruteBm25F(
            docs, side == Side::kSupply ? supply_fields : demand_fields, options.k1, counted);
        const std::vector<float> got = TextScores(scorer, side, query);
        for (size_t i = 0; i < got.size(); ++i) {
          if (!(got[i] >= 0.0f && got[i] < 1.0f)) ++out_of_range;
          const double error = std::abs(got[i] - expected[i]);
          if (error > worst) {
            worst = error;
            worst_at = "query " + std::to_string(q) + " candidate " + std::to_string(i) +
                       (side == Side::kSupply ? " supply" : " demand") + ": got " +
                       std::to_string(got[i]) + ", brute force " + std::to_string(expected[i]);
          }
          ++compared;
          if (got[i] > 0) ++positive;
        }
        // Same ordering wherever the brute force tells two candidates apart.
        for (size_t i = 0; i < got.size(); ++i) {
          for (size_t j = 0; j < got.size(); ++j) {
            if (expected[i] > expected[j] + 1e-4 && !(got[i] > got[j])) ++disordered;
          }
        }
      }
    }
    CAPTURE(worst_at);
    CHECK(worst <= 1e-4);
    CHECK(out_of_range == 0);  // every score in [0, 1)
    CHECK(disordered == 0);
    CHECK(positive > compared / 10);  // the comparison is not all zeros
  }
}

TEST_CASE("scorer text: between 0 and 1, zero without a shared term, higher when offers repeat it") {
  const std::vector<Profile> candidates = {
      Offering("Verdi Srl", {"manutenzione verde", "manutenzione verde"}),
      Offering("Rossi Srl", {"manutenzione verde", "asfalto strade"}),
      Offering("Bianchi Srl", {"illuminazione pubblica"}),
      Offering("Neri Srl", {}),
  };
  Scorer scorer(candidates, nullptr);
  const Query q = scorer.Analyze({"manutenzione del verde"}, {});
  const std::vector<float> s = TextScores(scorer, Side::kSupply, q);
  CHECK(s[0] > s[1]);
  CHECK(s[1] > 0.0f);
  CHECK(s[0] < 1.0f);
  CHECK(s[2] == 0.0f);
  CHECK(s[3] == 0.0f);
  // Nobody seeks anything: the demand side is all zeros.
  for (float v : TextScores(scorer, Side::kDemand, q)) CHECK(v == 0.0f);
  // A query of unknown words scores zero everywhere, not NaN.
  for (float v : TextScores(scorer, Side::kSupply, scorer.Analyze({"zanzariere"}, {}))) {
    CHECK(v == 0.0f);
  }
}

TEST_CASE("scorer text: numbers (years, amounts) never match") {
  const std::vector<Profile> candidates = {
      Offering("Alfa", {"lavori 2024 importo 15000"}, "anno 2024"),
      Offering("Beta", {"fornitura arredi"}),
  };
  Scorer scorer(candidates, nullptr);
  const Query only_numbers = scorer.Analyze({"2024 15000"}, {});
  CHECK(only_numbers.terms.empty());
  for (float v : TextScores(scorer, Side::kSupply, only_numbers)) CHECK(v == 0.0f);
  // Mixed with words, the numbers still add nothing: Alfa shares only numbers with the query.
  const Query mixed = scorer.Analyze({"fornitura arredi 2024 15000"}, {});
  for (const auto& [term, weight] : mixed.terms) {
    CAPTURE(term);
    CHECK(term.find_first_of("0123456789") == std::string::npos);
  }
  const std::vector<float> s = TextScores(scorer, Side::kSupply, mixed);
  CHECK(s[0] == 0.0f);
  CHECK(s[1] > 0.0f);
  CHECK(scorer.DrivingTerms(Side::kSupply, mixed, {0}, 5)[0].empty());
}

TEST_CASE("scorer adaptation: a word that recurs across a supplier's offers weighs more in a query") {
  // "pianoforte" comes back in its suppliers' other offers; "giugno" names one contract each
  // time. Both are in two candidates, so their idf is the same.
  const std::vector<Profile> candidates{
      Offering("a", {"noleggio pianoforte a coda", "accordatura pianoforte verticale"}),
      Offering("b", {"pianoforte digitale per la scuola", "riparazione pianoforte"}),
      Offering("c", {"concerto di giugno", "festa patronale"}),
      Offering("d", {"mostra di giugno", "sagra estiva"}),
      Offering("e", {"stampa manifesti"})};
  auto weights = [&](double adaptation) {
    ScorerOptions options;
    options.adaptation = adaptation;
    Scorer scorer(candidates, nullptr, options);
    std::map<std::string, float> out;
    const Query q = scorer.Analyze({"pianoforte giugno"}, {});
    for (const auto& [term, weight] : q.terms) out[q.words.at(term)] = weight;
    return out;
  };
  const auto on = weights(0.5), off = weights(0);
  CHECK(off.at("pianoforte") == 1.0f);
  CHECK(off.at("giugno") == 1.0f);
  CHECK(on.at("pianoforte") > 1.0f);
  CHECK(on.at("giugno") < 1.0f);
}

TEST_CASE("scorer names: a need names a candidate by the identifying words of its name only") {
  const std::vector<Profile> candidates{
      Offering("Idraulica Fontana", {"riparazione tubature"}),
      Offering("Manutenzioni Srl", {"manutenzione del verde"}),  // no word of its name identifies it
      Offering("Tubi Srl", {"manutenzione caldaie"}),
      Offering("Verde Fontana", {"potature"})};  // "verde" and "fontana" are both elsewhere
  Scorer scorer(candidates, nullptr);
  auto named = [&](const std::string& text) {
    std::vector<int> out;
    scorer.Named(scorer.Analyze({text}, {}), &out);
    std::string ids;
    for (int i : out) ids += std::to_string(i) + " ";
    return ids;
  };
  CHECK(named("Riparazione affidata alla ditta Idraulica Fontana") == "0 ");
  CHECK(named("Manutenzione del verde, ditta Manutenzioni srl") == "");
  CHECK(named("Idraulica per la fontana del verde") == "0 ");  // every identifying word is there
  CHECK(named("Fontana del parco") == "");
}

TEST_CASE("scorer feedback: the telling words of the candidates given reach the others") {
  const std::vector<Profile> candidates{
      Offering("Alfa", {"toner e cartucce per stampanti laser", "cartucce inkjet"}),
      Offering("Beta", {"cartucce inkjet per stampanti"}),
      Offering("Gamma", {"riparazione stampanti"}), Offering("Delta", {"manutenzione caldaie"}),
      Offering("Epsilon", {"toner"})};
  Scorer scorer(candidates, nullptr);
  // Per candidate, scale x weight summed over the lists; and the lists' sizes.
  auto feedback = [&](const std::string& need, size_t n) {
    std::vector<double> sum(candidates.size(), 0);
    std::vector<int> sizes;
    for (const Scorer::TermList& l :
         scorer.FeedbackLists(scorer.Analyze({need}, {}), {{0, 1.0f}}, n)) {
      sizes.push_back(l.size);
      for (int p = 0; p < l.size; ++p)
        sum[static_cast<size_t>(l.candidates[p])] += l.scale * l.weights[p];
    }
    return std::pair(sum, sizes);
  };
  const auto [sum, sizes] = feedback("fornitura di stampanti", 10);
  // Alfa's toner, cartucce and inkjet, not the need's own stampanti; laser is Alfa's alone,
  // and would reach nobody else.
  CHECK(sizes.size() == 3);
  for (int size : sizes) CHECK(size == 2);
  CHECK(sum[1] > 0);   // cartucce inkjet
  CHECK(sum[4] > 0);   // toner
  CHECK(sum[2] == 0);  // stampanti only: the need's word
  CHECK(sum[3] == 0);
  CHECK(sum[0] > sum[1]);  // Alfa has them all
  CHECK(sum[0] < 1);
  // The heaviest word alone: cartucce, twice in Alfa's offers.
  const auto [one, one_sizes] = feedback("fornitura di stampanti", 1);
  CHECK(one_sizes.size() == 1);
  CHECK(one[1] > 0);
  CHECK(one[4] == 0);
  // Asked for toner, the need's word brings nothing more: Epsilon only has it.
  CHECK(feedback("fornitura di toner", 10).first[4] == 0);
  CHECK(scorer.FeedbackLists(scorer.Analyze({"toner"}, {}), {}, 10).empty());
}

// The average summed in float passed 1 (1.0001 for 10,000 codes alike on both sides), which
// the contract's [0, 1] does not allow (regression).
TEST_CASE("scorer cpv: the average of many equal codes is at most 1") {
  std::vector<Profile> candidates(1);
  candidates[0].supply_cpv = {"72000000"};
  Scorer scorer(candidates, nullptr);
  for (size_t n : {3u, 7u, 10u, 1000u, 10000u}) {
    CAPTURE(n);
    const std::vector<std::string> codes(n, "72000000");
    const float score = CpvScores(scorer, Side::kSupply, scorer.Analyze({}, codes))[0];
    CHECK(score <= 1.0f);
    CHECK(score == doctest::Approx(1.0));
  }
}

TEST_CASE("scorer cpv: a code scores by the hierarchy, averaged over the query's codes") {
  auto code = [](const char* c) { return *ParseCpv(c); };
  std::vector<Profile> candidates(5);
  candidates[0].supply_cpv = {"72000000"};
  candidates[1].supply_cpv = {"45000000"};
  candidates[2].supply_cpv = {"72000000", "45000000"};
  candidates[3].supply_cpv = {"72000000", "72212000"};  // the best code counts, not the sum
  candidates[4].demand_cpv = {"72212000"};              // demand only
  Scorer scorer(candidates, nullptr);

  const std::vector<float> one = CpvScores(scorer, Side::kSupply, scorer.Analyze({}, {"72212000"}));
  const double near = CpvSimilarity(code("72212000"), code("72000000"));
  CHECK(near > 0.0);
  CHECK(one[0] > one[1]);
  CHECK(one[0] == doctest::Approx(near));
  CHECK(one[1] == 0.0f);
  CHECK(one[3] == doctest::Approx(1.0));
  CHECK(one[4] == 0.0f);  // its code is on the demand side

  const std::vector<float> two =
      CpvScores(scorer, Side::kSupply, scorer.Analyze({}, {"72212000", "45000000"}));
  CHECK(two[0] == doctest::Approx(near / 2));
  CHECK(two[1] == doctest::Approx(0.5));
  CHECK(two[2] == doctest::Approx((near + 1.0) / 2));
  CHECK(two[3] == doctest::Approx(0.5));
  CHECK(two[4] == 0.0f);

  const std::vector<float> demand =
      CpvScores(scorer, Side::kDemand, scorer.Analyze({}, {"72212000-5"}));
  CHECK(demand[4] == doctest::Approx(1.0));
  CHECK(demand[0] == 0.0f);

  // Invalid codes are skipped: they neither count nor dilute the mean.
  const Query with_bad = scorer.Analyze({}, {"72212000", "7221"});
  CHECK(with_bad.cpv.size() == 1);
  CHECK(CpvScores(scorer, Side::kSupply, with_bad)[0] == doctest::Approx(near));
  // No codes at all: zeros.
  for (float v : CpvScores(scorer, Side::kSupply, scorer.Analyze({"software"}, {}))) {
    CHECK(v == 0.0f);
  }
}

TEST_CASE("scorer name grams: what a thread remembers of one scorer's grams is not used for another") {
  // A thread remembers each query word's gram ids per scorer. A second scorer, with another
  // gram index, must give the grams a fresh thread gives.
  const Scorer first({Offering("Idraulica Cancedda", {"impianti idraulici"}),
                      Offering("Videotype", {"stampa"})},
                     nullptr);
  const Query q1 = first.Analyze({"lavori Cancedda Videotype"}, {});
  REQUIRE(q1.grams.size() > 4);
  const Scorer second({Offering("Videotype Sardegna", {"stampa"}), Offering("Cancelleria", {})},
                      nullptr);
  const Query here = second.Analyze({"lavori Cancedda Videotype"}, {});
  Query fresh;
  std::thread([&] { fresh = second.Analyze({"lavori Cancedda Videotype"}, {}); }).join();
  CHECK(here.grams == fresh.grams);
  CHECK(here.grams != q1.grams);
}

TEST_CASE("scorer explanations: DrivingTerms gives the query's own words, most weighted first") {
  const std::vector<Profile> candidates = {
      Offering("A", {"verde verde verde manutenzione"}),
      Offering("B", {"manutenzione manutenzione manutenzione verde"}),
      Offering("C", {"asfalto"}),
  };
  Scorer scorer(candidates, nullptr);
  const Query q = scorer.Analyze({"Manutenzione del verde pubblico"}, {});
  const auto terms = scorer.DrivingTerms(Side::kSupply, q, {0, 1, 2}, 8);
  REQUIRE(terms.size() == 3);
  std::string rendered;
  for (const auto& t : terms) rendered += Join(t);
  // Surface words, not the stems "manutenzion" and "verd". A and B weigh the terms in opposite
  // orders (equal df, so tf decides); C shares nothing.
  CHECK(rendered == "[verde|manutenzione][manutenzione|verde][]");
  // At most n, in the order asked for.
  const auto first = scorer.DrivingTerms(Side::kSupply, q, {1, 0}, 1);
  CHECK(Join(first[0]) + Join(first[1]) == "[manutenzione][verde]");
  // A query term counts as often as the query says it: twice "manutenzione" outweighs A's three
  // "verde" against one "manutenzione" (k1 saturates tf). The word shown is the term's first.
  const Query twice = scorer.Analyze({"Manutenzioni del verde", "manutenzione"}, {});
  CHECK(Join(scorer.DrivingTerms(Side::kSupply, twice, {0}, 8)[0]) == "[manutenzioni|verde]");
}

TEST_CASE("scorer explanations: a code's label words are shown as words, not stems") {
  // Regression: with a labels file, a term that came from a code's label alone had no word
  // of its own, and `why.terms` showed its stem ("puliz", "uffic").
  auto labels = CpvLabels::Parse(
      "code\tcode8\tparent\tlevel\ttype\tlabel_en\tlabel_it\n"
      "90919200-4\t90919200\t90919000-2\t5\t3\tOffice cleaning services\t"
      "Servizi di pulizia di uffici\n");
  REQUIRE(labels.ok());
  const Scorer scorer(
      {Offering("A", {"pulizia di uffici e condomini"}), Offering("B", {"asfalto"})}, &*labels);
  // The text gives "pulizie" its word; "uffici" comes from the label only.
  const Query q = scorer.Analyze({"pulizie"}, {"90919200"});
  CHECK(Join(scorer.DrivingTerms(Side::kSupply, q, {0}, 8)[0]) == "[pulizie|uffici]");
}

TEST_CASE("scorer explanations: DrivingTerms for many candidates at once equals one at a time") {
  // For 20 candidates DrivingTerms walks the query terms' postings (each at most 60 long); for
  // one it searches them per candidate: both ways must give the same words in the same order.
  const char* words[] = {"manutenzione", "verde", "pubblico", "asfalto", "strade", "scuole",
                         "pulizia", "uffici"};
  std::vector<Profile> candidates;
  std::mt19937 random(7);
  for (int i = 0; i < 60; ++i) {
    std::string offer;
    for (int w = 0; w < 6; ++w) offer += std::string(words[random() % 8]) + " ";
    candidates.push_back(Offering("C" + std::to_string(i), {offer}));
  }
  Scorer scorer(candidates, nullptr);
  const Query q = scorer.Analyze({"Manutenzione del verde pubblico e pulizia delle strade"}, {});
  std::vector<size_t> asked;
  for (size_t i = 59; i >= 20; i -= 2) asked.push_back(i);  // out of order, 20 of them
  const auto together = scorer.DrivingTerms(Side::kSupply, q, asked, 3);
  REQUIRE(together.size() == asked.size());
  std::string all, alone;
  for (size_t k = 0; k < asked.size(); ++k) {
    all += Join(together[k]);
    alone += Join(scorer.DrivingTerms(Side::kSupply, q, {asked[k]}, 3)[0]);
  }
  CHECK(all == alone);
  CHECK(all.find("manutenzione") != std::string::npos);

  // Regression: a field weighted 0 stores zero weights; the posting walk showed their terms,
  // the search path did not. Names weighted 0 here, and "verde" only in names.
  std::vector<Profile> named;
  for (int i = 0; i < 20; ++i) {
    named.push_back(Offering("Verde " + std::to_string(i), {"manutenzione strade"}));
  }
  ScorerOptions no_names;
  no_names.name_weight = 0;
  Scorer unnamed(named, nullptr, no_names);
  const Query green = unnamed.Analyze({"Manutenzione del verde"}, {});
  std::vector<size_t> everyone(20);
  for (size_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
  for (const auto& words : unnamed.DrivingTerms(Side::kSupply, green, everyone, 5)) {
    CHECK(Join(words) == "[manutenzione]");
  }
  CHECK(Join(unnamed.DrivingTerms(Side::kSupply, green, {3}, 5)[0]) == "[manutenzione]");
}

TEST_CASE("scorer contexts: a candidate reads like the asker whose words it uses") {
  const std::vector<Profile> candidates = {
      Offering("Verde Srl", {"manutenzione parchi giardini"}, "potatura alberi e giardini"),
      Offering("Bit Srl", {"software gestionale"}, "reti informatiche e server"),
      Offering("Vuota Srl", {}),  // no text of its own: no context
  };
  Scorer scorer(candidates, nullptr);
  const std::vector<std::vector<std::string>> askers = {
      {"manutenzione dei parchi", "potatura alberi dei giardini comunali"},
      {"software per la gestione", "reti e server informatiche"}};
  const Scorer::Contexts contexts = scorer.BuildContexts(askers);
  REQUIRE(contexts.askers() == 2);
  std::vector<float> a(3, 1.0f), b(3, 1.0f);
  contexts.Scores(0, a.data());
  contexts.Scores(1, b.data());
  CHECK(a[0] == 0.0f);
  CHECK(b[0] < 0.0f);
  CHECK(b[1] == 0.0f);
  CHECK(a[1] < 0.0f);
  CHECK(a[2] == 0.0f);
  CHECK(b[2] == 0.0f);

  const Scorer::Contexts one = scorer.BuildContexts({askers[0]});
  REQUIRE(one.askers() == 1);
  std::vector<float> only(3, 1.0f);
  one.Scores(0, only.data());
  for (float v : only) CHECK(v == 0.0f);
}

TEST_CASE("scorer contexts: a score does not depend on the scores asked before, of any scorer") {
  // Scores spread an asker's weights into a per-thread vector and clear them afterwards: what
  // one asker (or another scorer's asker) left there must never reach the next. The vector is
  // made afresh only for a vocabulary of another size: `reversed` has the same words as
  // `first`, numbered in another order, so it reuses the vector as `first` left it.
  const std::vector<Profile> first_candidates = {
      Offering("Verde Srl", {"manutenzione parchi giardini"}, "potatura alberi e giardini"),
      Offering("Bit Srl", {"software gestionale"}, "reti informatiche e server"),
      Offering("Strade Srl", {"asfalto strade comunali", "segnaletica stradale"})};
  const std::vector<Profile> second_candidates = {
      Offering("Mensa Srl", {"refezione scolastica", "pasti per le scuole"}),
      Offering("Bus Srl", {"trasporto scolastico alunni"})};
  const std::vector<Profile> reversed_candidates(first_candidates.rbegin(),
                                                 first_candidates.rend());
  Scorer first(first_candidates, nullptr), second(second_candidates, nullptr),
      reversed(reversed_candidates, nullptr);
  const Scorer::Contexts a = first.BuildContexts(
      {{"manutenzione dei parchi e giardini"}, {"software e server"}, {"asfalto e segnaletica"}});
  const Scorer::Contexts b =
      second.BuildContexts({{"refezione per le scuole"}, {"trasporto degli alunni"}});
  const Scorer::Contexts c =
      reversed.BuildContexts({{"segnaletica stradale"}, {"potatura degli alberi"}});
  auto scores = [](const Scorer::Contexts& c, size_t asker, size_t n) {
    std::vector<float> out(n, 5.0f);
    c.Scores(asker, out.data());
    return out;
  };
  std::vector<std::vector<float>> alone, alone_reversed;
  for (size_t k = 0; k < 3; ++k) alone.push_back(scores(a, k, 3));
  for (size_t k = 0; k < 2; ++k) alone_reversed.push_back(scores(c, k, 3));
  CHECK(alone[0] != alone[1]);
  CHECK(alone_reversed[0] != alone_reversed[1]);
  for (size_t round = 0; round < 2; ++round) {
    for (size_t k = 3; k-- > 0;) {
      (void)scores(b, k % 2, 2);
      CHECK(scores(c, k % 2, 3) == alone_reversed[k % 2]);
      CHECK(scores(a, k, 3) == alone[k]);
    }
  }
}

TEST_CASE("scorer context: an asker given by its texts' analyses, one per need, scores as by its texts") {
  const std::vector<Profile> candidates = {
      Offering("Verde Srl", {"manutenzione parchi giardini"}, "potatura alberi e giardini"),
      Offering("Bit Srl", {"software gestionale"}, "reti informatiche e server"),
      Offering("Strade Srl", {"asfalto strade comunali"})};
  Scorer scorer(candidates, nullptr);
  const std::vector<std::vector<std::string>> askers = {
      {"manutenzione dei parchi", "potatura alberi dei giardini comunali", "parchi e giardini"},
      {"software per la gestione", "reti e server informatiche"},
      {"asfalto delle strade"}};
  std::vector<std::vector<Scorer::ContextText>> needs(askers.size());
  std::vector<std::vector<const Scorer::ContextText*>> by_need(askers.size());
  for (size_t a = 0; a < askers.size(); ++a) {
    for (const std::string& t : askers[a]) needs[a].push_back(scorer.AnalyzeContext({t}));
    for (const auto& n : needs[a]) by_need[a].push_back(&n);
  }
  const Scorer::Contexts whole = scorer.BuildContexts(askers), split = scorer.BuildContexts(by_need);
  REQUIRE(split.askers() == 3);
  for (size_t a = 0; a < askers.size(); ++a) {
    std::vector<float> x(3, 9.0f), y(3, 7.0f);
    whole.Scores(a, x.data());
    split.Scores(a, y.data());
    CHECK(x == y);
  }
  const Scorer::ContextText t = scorer.AnalyzeContext({"Manutenzione del verde 2024"});
  CHECK(t.terms.size() == 2);  // no stop words, no numbers
  CHECK(t.pairs.size() == 3);  // pairs keep them: "manutenzione del", "del verde", "verde #dddd"
}

}  // namespace
}  // namespace incontra::scoring
