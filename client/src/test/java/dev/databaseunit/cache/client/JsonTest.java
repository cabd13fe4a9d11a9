package dev.databaseunit.cache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void readsEveryKindOfValue() {
    Object parsed = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\\\"y\\\\z\\n\\u00e9\"], \"b\": {}, \"c\": []} ");
    assertThat(parsed).isEqualTo(Map.of("a", Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null, "x\"y\\z\né"),
        "b", Map.of(), "c", List.of()));
  }

  @Test
  void rejectsMalformedDocumentsWithAnOffset() {
    for (String bad : List.of("", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"open", "tru", "{} x", "{\"a\": \"\\q\"}", "-")) {
      assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid JSON at offset");
    }
  }

  /** Random nested documents written out and read back give the same values. */
  @Test
  void roundTripsRandomDocuments() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 500; i++) {
      Object value = randomValue(random, 0);
      assertThat(Json.parse(write(value))).isEqualTo(value);
    }
  }

  private static Object randomValue(SplittableRandom random, int depth) {
    int kind = random.nextInt(depth > 3 ? 4 : 6);
    return switch (kind) {
      case 0 -> random.nextLong(-1_000_000, 1_000_000);
      case 1 -> random.nextBoolean();
      case 2 -> randomString(random);
      case 3 -> null;
      case 4 -> {
        List<Object> list = new java.util.ArrayList<>();
        for (int n = random.nextInt(4); n > 0; n--) {
          list.add(randomValue(random, depth + 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int n = random.nextInt(4); n > 0; n--) {
          map.put(randomString(random), randomValue(random, depth + 1));
        }
        yield map;
      }
    };
  }

  private static String randomString(SplittableRandom random) {
    String alphabet = "ab:_-\"\\\n\té/ ";
    StringBuilder out = new StringBuilder();
    for (int n = random.nextInt(6); n > 0; n--) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.toString();
  }

  private static String write(Object value) {
    if (value instanceof Map<?, ?> map) {
      StringBuilder out = new StringBuilder("{");
      map.forEach((k, v) -> out.append(out.length() > 1 ? ", " : "").append(write(k)).append(": ").append(write(v)));
      return out.append('}').toString();
    }
    if (value instanceof List<?> list) {
      StringBuilder out = new StringBuilder("[");
      list.forEach(v -> out.append(out.length() > 1 ? "," : "").append(write(v)));
      return out.append(']').toString();
    }
    if (value instanceof String text) {
      return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\u0009") + "\"";
    }
    return String.valueOf(value);
  }
}
