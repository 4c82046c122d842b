#include "scoring/internal/vocabulary.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace incontra::scoring::internal {
namespace {

TEST_CASE("vocabulary: ids in the order first added, each word once") {
  Vocabulary v;
  CHECK(v.size() == 0);
  CHECK(v.Find("verd") == -1);
  CHECK(v.Add("manutenzion") == std::pair<int, bool>(0, true));
  CHECK(v.Add("verd") == std::pair<int, bool>(1, true));
  CHECK(v.Add("manutenzion") == std::pair<int, bool>(0, false));
  CHECK(v.Find("verd") == 1);
  CHECK(v.Find("ver") == -1);
  CHECK(v.Find("verde") == -1);
  CHECK(v.word(0) == "manutenzion");
  CHECK(v.size() == 2);
  // The empty word and words that differ only by trailing zero bytes are words of their own.
  CHECK(v.Add("").first == 2);
  CHECK(v.Add(std::string("verd\0", 5)).first == 3);
  CHECK(v.Add(std::string("verd\0\0\0\0\0", 9)).first == 4);
  CHECK(v.Find("") == 2);
  CHECK(v.Find(std::string_view()) == 2);  // an empty view's data() is null: never to memcmp
  CHECK(v.Find("verd") == 1);
  CHECK(v.word(4).size() == 9);
}

TEST_CASE("vocabulary: as a map from words to ids, through growth, against std::map") {
  // Random words over a small alphabet, long and short, many repeated: the table grows many
  // times and its probes run through clusters.
  std::mt19937 random(5);
  Vocabulary v;
  std::map<std::string, int> reference;
  for (int round = 0; round < 60000; ++round) {
    std::string w(random() % 24, 'a');
    for (char& c : w) c = static_cast<char>('a' + random() % 3);
    const auto [id, added] = v.Add(w);
    const auto [it, fresh] = reference.emplace(w, static_cast<int>(reference.size()));
    REQUIRE(added == fresh);
    REQUIRE(id == it->second);
  }
  CHECK(v.size() == static_cast<int>(reference.size()));
  CHECK(reference.size() > 20000);
  for (const auto& [w, id] : reference) {
    REQUIRE(v.Find(w) == id);
    REQUIRE(v.word(id) == w);
  }
  CHECK(v.Find("abcd") == -1);  // 'd' is never drawn
}

TEST_CASE("vocabulary: AddAll gives the ids Add gives one word at a time") {
  // Batches of every size around the look-ahead, with repeats inside a batch and across
  // batches, through growth.
  std::mt19937 random(9);
  Vocabulary one, all;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> words(random() % 40);
    for (std::string& w : words) w = "w" + std::to_string(random() % 3000);
    std::vector<int> ids(words.size(), -2);
    all.AddAll(words, ids.data());
    for (size_t k = 0; k < words.size(); ++k) REQUIRE(ids[k] == one.Add(words[k]).first);
  }
  CHECK(all.size() == one.size());
  CHECK(all.size() > 2500);
  // FindAll gives Find's ids, -1 for words never added, in batches of any size.
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> words(random() % 40);
    for (std::string& w : words) w = "w" + std::to_string(random() % 4000);
    const std::vector<std::string_view> views(words.begin(), words.end());
    std::vector<int> ids(words.size(), -2);
    all.FindAll(views, ids.data());
    for (size_t k = 0; k < words.size(); ++k) REQUIRE(ids[k] == one.Find(words[k]));
  }
  Vocabulary empty;
  const std::vector<std::string_view> some = {"a", "b"};
  std::vector<int> none(2, 7);
  empty.FindAll(some, none.data());
  CHECK(none == std::vector<int>{-1, -1});
}

}  // namespace
}  // namespace incontra::scoring::internal
