#include "scoring/bm25.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace incontra::scoring {
namespace {

Bm25Index OneField() { return Bm25Index({{"text", 1.0, 0.75}}); }

TEST_CASE("bm25: a rarer term weighs more, a longer field less") {
  Bm25Index index = OneField();
  index.Add({{"verd", "parc"}});
  index.Add({{"verd", "scuol"}});
  index.Add({{"verd", "parc", "manutenzion", "strad", "illumin", "cimiter"}});
  index.Finish();
  CHECK(index.Weight(1, "scuol") > index.Weight(1, "verd"));  // scuol: 1 document, verd: 3
  CHECK(index.Weight(0, "parc") > index.Weight(2, "parc"));   // same term, longer document
  CHECK(index.Weight(0, "absent") == 0.0f);
  auto hits = index.TopK({"parc", "verd"}, 10);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].first == 0);
  CHECK(hits[2].first == 1);  // has no "parc"
}

TEST_CASE("bm25: Add numbers terms in the order first given, field after field") {
  Bm25Index index({{"name", 2.0, 0.5}, {"text", 1.0, 0.75}});
  index.Add({{"acme", "verd"}, {"verd", "parc", "verd"}});
  index.Add({{}, {"scuol", "acme"}});  // an empty field gives nothing
  index.Add({{"parc"}});               // fields not given are empty
  index.Finish();
  CHECK(index.TermId("acme") == 0);
  CHECK(index.TermId("verd") == 1);
  CHECK(index.TermId("parc") == 2);
  CHECK(index.TermId("scuol") == 3);
  CHECK(index.terms() == 4);
  CHECK(index.documents() == 3);
}

TEST_CASE("bm25: documents added by interned ids index as Add does the strings") {
  const std::vector<FieldSpec> fields = {{"name", 2.0, 0.5}, {"text", 1.0, 0.75}};
  Bm25Index strings(fields), ids(fields);
  const std::vector<std::vector<std::vector<std::string>>> docs = {
      {{"acme"}, {"verd", "parc", "verd"}}, {{}, {}}, {{"parc"}, {"scuol", "acme"}}, {{"strad"}}};
  for (const auto& d : docs) {
    strings.Add(d);
    std::vector<std::vector<int>> interned;
    for (const auto& field : d) {
      std::vector<int>& f = interned.emplace_back();
      for (const std::string& t : field) f.push_back(ids.Intern(t));
    }
    const std::vector<std::span<const int>> spans(interned.begin(), interned.end());
    ids.AddIds(spans);
  }
  CHECK(ids.Intern("verd") == 1);  // known: its id again
  strings.Finish();
  ids.Finish();
  REQUIRE(ids.terms() == strings.terms());
  REQUIRE(ids.documents() == 4);
  for (const char* term : {"acme", "verd", "parc", "scuol", "strad"}) {
    CAPTURE(term);
    CHECK(ids.TermId(term) == strings.TermId(term));
    for (int doc = 0; doc < 4; ++doc) {
      CAPTURE(doc);
      CHECK(ids.Weight(doc, term) == strings.Weight(doc, term));
    }
  }
}

TEST_CASE("bm25: field weights count") {
  Bm25Index index({{"name", 0.2, 0.0}, {"offers", 1.0, 0.0}});
  index.Add({{"verd"}, {"altro"}});
  index.Add({{"altro"}, {"verd"}});
  index.Finish();
  auto hits = index.TopK({"verd"}, 2);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].first == 1);  // "verd" in the heavier field
}

TEST_CASE("bm25: top-k equals a brute-force ranking on random data") {
  std::mt19937 rng(7);
  const int kDocs = 400, kVocabulary = 60;
  std::vector<std::vector<std::string>> docs(kDocs);
  for (auto& d : docs) {
    int len = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) d.push_back("t" + std::to_string(rng() % kVocabulary));
  }
  Bm25Index index = OneField();
  for (const auto& d : docs) index.Add({d});
  index.Finish();
  for (int q = 0; q < 50; ++q) {
    std::vector<std::string> query;
    for (int i = 0; i < 3; ++i) query.push_back("t" + std::to_string(rng() % kVocabulary));
    // Brute force: the sum of the query's distinct terms' weights, document by document.
    std::vector<std::pair<int, float>> expected;
    for (int d = 0; d < kDocs; ++d) {
      std::vector<std::string> distinct = query;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      float score = 0;
      for (const auto& t : distinct) score += index.Weight(d, t);
      if (score > 0) expected.emplace_back(d, score);
    }
    std::sort(expected.begin(), expected.end(), [](auto a, auto b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (expected.size() > 10) expected.resize(10);
    auto got = index.TopK(query, 10);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].first == expected[i].first);
      CHECK(got[i].second == doctest::Approx(expected[i].second).epsilon(1e-5));
    }
  }
}

TEST_CASE("bm25: empty queries, unknown terms and k = 0 give nothing") {
  Bm25Index index = OneField();
  index.Add({{"verd"}});
  index.Finish();
  CHECK(index.TopK({}, 5).empty());
  CHECK(index.TopK({"nessuno"}, 5).empty());
  CHECK(index.TopK({"verd"}, 0).empty());
  CHECK(index.documents() == 1);
}

TEST_CASE("bm25: a query by term ids scores, bounds and counts as the same query by text") {
  Bm25Index index = OneField();
  index.Add({{"verd", "parc", "verd"}});
  index.Add({{"parc", "scuol"}});
  index.Add({{"strad"}});
  index.Finish();
  const std::vector<std::pair<std::string, float>> by_text{{"verd", 2.0f}, {"nessuno", 1.0f},
                                                           {"parc", 0.5f}};
  std::vector<std::pair<int, float>> by_id;
  for (const auto& [term, weight] : by_text) {
    if (int id = index.TermId(term); id >= 0) by_id.emplace_back(id, weight);
  }
  REQUIRE(by_id.size() == 2);  // "nessuno" is unknown
  CHECK(index.UpperBound(by_id) == index.UpperBound(by_text));
  std::vector<float> a(3, 0.0f), b(3, 0.0f);
  std::vector<int> touched_a, touched_b;
  index.Scores(by_text, 0.25f, a.data(), &touched_a);
  index.Scores(by_id, 0.25f, b.data(), &touched_b);
  CHECK(a == b);
  CHECK(touched_a == touched_b);
  CHECK(touched_b == std::vector<int>{0, 1});  // each reached document once
  CHECK(b[2] == 0.0f);
  CHECK(index.DocumentFrequency(index.TermId("parc")) == 2);
  CHECK(index.DocumentFrequency("parc") == 2);
  CHECK(index.DocumentFrequency("nessuno") == 0);
}

TEST_CASE(
    "bm25: sparse scores list each document reached once, in the order reached, after "
    "what the list held") {
  std::mt19937 rng(11);
  const int kDocs = 300, kVocabulary = 40;
  Bm25Index index = OneField();
  for (int d = 0; d < kDocs; ++d) {
    std::vector<std::string> terms;
    for (int k = 1 + static_cast<int>(rng() % 8); k > 0; --k) {
      terms.push_back("t" + std::to_string(rng() % kVocabulary));
    }
    index.Add({terms});
  }
  index.Finish();
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<int, float>> query;
    for (int k = 1 + static_cast<int>(rng() % 10); k > 0; --k) {
      query.emplace_back(static_cast<int>(rng() % static_cast<unsigned>(index.terms())),
                         0.5f + static_cast<float>(rng() % 4));
    }
    std::vector<float> dense(kDocs, 1.0f), sparse(kDocs, 0.0f);
    index.Scores(query, 0.1f, dense.data());  // the dense form clears what it is given
    std::vector<int> touched = {-7};          // kept: the list is appended to
    index.Scores(query, 0.1f, sparse.data(), &touched);
    CHECK(sparse == dense);
    std::vector<int> expected = {-7};  // documents in the order the postings first reach them
    std::vector<char> seen(kDocs, 0);
    for (const auto& [id, weight] : query) {
      const Bm25Index::Postings p = index.Posting(id);
      for (int k = 0; k < p.size; ++k) {
        if (!seen[static_cast<size_t>(p.documents[k])]) expected.push_back(p.documents[k]);
        seen[static_cast<size_t>(p.documents[k])] = 1;
      }
    }
    CHECK(touched == expected);
  }
}

}  // namespace
}  // namespace incontra::scoring
