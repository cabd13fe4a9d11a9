package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.CachePolicy;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.cache.EffectiveCachePolicy.TypePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EffectiveCachePolicyTest {

  private static CacheSpec spec(String keyPrefix, List<CachePolicy> policies) {
    return new CacheSpec(null, null, null, null, keyPrefix, policies, null);
  }

  @Test
  void anEmptySpecGetsTheSeedDefaults() {
    var policy = EffectiveCachePolicy.of("shop", "recipes", spec(null, null));

    assertThat(policy.keyPrefix()).isEqualTo("recipes");
    assertThat(policy.maxMemoryBytes()).isEqualTo(256L * 1024 * 1024);
    assertThat(policy.evictionPolicy()).isEqualTo("allkeys-lru");
    assertThat(policy.types()).containsExactly(
        new TypePolicy("user_profiles", 3600, "write-through", "event-driven", "users", "id"),
        new TypePolicy("recipes", 1800, "write-behind", "time-based", null, null),
        new TypePolicy("search_results", 900, "cache-aside", "manual", null, null),
        new TypePolicy("taste_profiles", 14400, "write-through", "event-driven", "user_taste_profiles", "user_id"));
    assertThat(policy.eventDrivenTypes()).extracting(TypePolicy::dataType).containsExactly("user_profiles", "taste_profiles");
  }

  /** The API server fills in the CRD's default table when spec.cache.policies is left out: still the defaults. */
  @Test
  void theDefaultTableIsRecognisedAlsoAsTheCrdFillsItIn() throws Exception {
    var crd = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
        .readTree(java.nio.file.Path.of("crds", "databaseunits.databaseunit.dev-v1.yml").toFile());
    var defaultTable = crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/cache/properties/policies/default");
    List<CachePolicy> crdDefaults = List.of(new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(defaultTable, CachePolicy[].class));
    var oneChanged = new java.util.ArrayList<>(crdDefaults);
    oneChanged.set(0, new CachePolicy("user_profiles", "2h", CachePolicy.Strategy.WRITE_THROUGH,
        CachePolicy.InvalidationMode.EVENT_DRIVEN, "users", "id"));

    assertThat(crdDefaults).hasSize(4);
    assertThat(EffectiveCachePolicy.usesDefaultPolicies(spec(null, null))).isTrue();
    assertThat(EffectiveCachePolicy.usesDefaultPolicies(spec(null, List.of()))).isTrue();
    assertThat(EffectiveCachePolicy.usesDefaultPolicies(spec(null, crdDefaults))).isTrue();
    assertThat(EffectiveCachePolicy.usesDefaultPolicies(spec(null, oneChanged))).isFalse();
    assertThat(EffectiveCachePolicy.usesDefaultPolicies(spec(null, crdDefaults.subList(1, 4)))).isFalse();
  }

  @Test
  void inactiveTypesAreLeftOutOfThePolicy() {
    var policy = EffectiveCachePolicy.of("shop", "recipes", spec(null, null));

    var active = policy.withoutTypes(List.of("user_profiles", "taste_profiles"));
    assertThat(active.types()).extracting(TypePolicy::dataType).containsExactly("recipes", "search_results");
    assertThat(active.eventDrivenTypes()).isEmpty();
    assertThat(active.maxMemoryBytes()).isEqualTo(policy.maxMemoryBytes());
    assertThat(policy.withoutTypes(List.of())).isSameAs(policy);
  }

  @Test
  void explicitValuesWin() {
    var spec = new CacheSpec(null, null, "2gb", CacheSpec.EvictionPolicy.VOLATILE_TTL, "shop",
        List.of(new CachePolicy("carts", "90s", CachePolicy.Strategy.CACHE_ASIDE, CachePolicy.InvalidationMode.MANUAL, null, null)), null);
    var policy = EffectiveCachePolicy.of("shop", "recipes", spec);

    assertThat(policy.maxMemoryBytes()).isEqualTo(2L << 30);
    assertThat(policy.evictionPolicy()).isEqualTo("volatile-ttl");
    assertThat(policy.types()).containsExactly(new TypePolicy("carts", 90, "cache-aside", "manual", null, null));
    assertThat(policy.eventDrivenTypes()).isEmpty();
    assertThat(policy.key("carts", "42")).isEqualTo("shop:carts:42");
    assertThat(policy.keyPattern("carts")).isEqualTo("shop:carts:*");
    assertThat(policy.invalidationChannel()).isEqualTo("shop:invalidations");
  }

  @Test
  void theDocumentNamesWhereRedisIsButNoSecretValue() {
    var external = new CacheSpec.ExternalRedis("cache.example", null, new dev.databaseunit.operator.api.v1alpha1.CredentialsRef("r", null, "pw"),
        true, new dev.databaseunit.operator.api.v1alpha1.SecretKeyRef("r-ca", "ca.crt"));
    var spec = new CacheSpec(external, null, null, null, null, null, null);

    assertThat(EffectiveCachePolicy.of("shop", "recipes", spec).redis())
        .isEqualTo(new EffectiveCachePolicy.RedisLocation("cache.example", 6379, true, "r", "username", "pw", "r-ca", "ca.crt"));
    assertThat(EffectiveCachePolicy.of("shop", "recipes", spec(null, null)).redis())
        .isEqualTo(new EffectiveCachePolicy.RedisLocation("recipes-redis.shop.svc", 6379, false, "recipes-redis-credentials",
            "username", "password", null, null));
  }

  @Test
  void theDocumentRoundTripsAndIsStable() {
    var policy = EffectiveCachePolicy.of("shop", "recipes", spec("app.v2", null));
    String json = policy.toJson();

    assertThat(EffectiveCachePolicy.fromJson(json)).isEqualTo(policy);
    assertThat(EffectiveCachePolicy.of("shop", "recipes", spec("app.v2", null)).toJson()).isEqualTo(json);
    assertThat(json).contains("\"formatVersion\" : 1", "\"keyFormat\" : \"app.v2:<dataType>:<id>\"",
        "\"invalidationChannel\" : \"app.v2:invalidations\"", "\"ttlSeconds\" : 3600");
    assertThat(json.indexOf("formatVersion")).isLessThan(json.indexOf("types"));
  }

  @Test
  void durationsAndMemorySizes() {
    assertThat(ApiDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(ApiDurations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(ApiDurations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThatThrownBy(() -> ApiDurations.parse("0s")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ApiDurations.parse("1y")).isInstanceOf(IllegalArgumentException.class);
    assertThat(EffectiveCachePolicy.memoryBytes("64kb")).isEqualTo(65536);
    assertThat(EffectiveCachePolicy.memoryBytes("1GB")).isEqualTo(1L << 30);
    assertThatThrownBy(() -> EffectiveCachePolicy.memoryBytes("10m")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EffectiveCachePolicy.memoryBytes("99999999999gb")).isInstanceOf(ArithmeticException.class);
  }

  /** Whatever the literal, the escaped pattern matches exactly that literal followed by anything. */
  @Test
  void globEscapingMatchesOnlyTheLiteral() {
    var random = new Random(7);
    String alphabet = "ab*?[]\\^:.-";
    for (int i = 0; i < 2000; i++) {
      var literal = new StringBuilder();
      for (int n = random.nextInt(8); n > 0; n--) {
        literal.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String pattern = EffectiveCachePolicy.globEscape(literal.toString()) + "*";
      assertThat(RedisGlob.matches(pattern, literal + "id")).as(pattern).isTrue();
      if (!literal.isEmpty()) {
        assertThat(RedisGlob.matches(pattern, "x" + literal)).as(pattern).isFalse();
      }
    }
  }

  /** A model of Redis' stringmatchlen for *, ?, [..] and backslash escapes, enough to check the escaping. */
  private static final class RedisGlob {
    static boolean matches(String pattern, String text) {
      return match(pattern, 0, text, 0);
    }

    private static boolean match(String p, int pi, String t, int ti) {
      if (pi == p.length()) {
        return ti == t.length();
      }
      char c = p.charAt(pi);
      if (c == '*') {
        for (int k = ti; k <= t.length(); k++) {
          if (match(p, pi + 1, t, k)) {
            return true;
          }
        }
        return false;
      }
      if (ti == t.length()) {
        return false;
      }
      if (c == '?') {
        return match(p, pi + 1, t, ti + 1);
      }
      if (c == '\\' && pi + 1 < p.length()) {
        return p.charAt(pi + 1) == t.charAt(ti) && match(p, pi + 2, t, ti + 1);
      }
      if (c == '[') {
        throw new AssertionError("unescaped [ in " + p);
      }
      return c == t.charAt(ti) && match(p, pi + 1, t, ti + 1);
    }
  }
}
