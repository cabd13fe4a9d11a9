package dev.databaseunit.cache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.cache.client.CachePolicy.InvalidationMode;
import dev.databaseunit.cache.client.CachePolicy.WriteStrategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CachePoliciesTest {

  @Test
  void parsesThePropertiesFormatWithCrdSpellings() {
    CachePolicies policies = CachePolicies.parse("""
        keyPrefix=recipes-app:
        user_profiles.ttl=1h
        user_profiles.strategy=write-through
        user_profiles.invalidation=event-driven
        user_profiles.sourceTable=users
        recipes.ttl=PT30M
        recipes.strategy=WRITE_BEHIND
        recipes.invalidation=time-based
        search_results.ttl=900
        search_results.strategy=cache-aside
        search_results.invalidation=manual
        """);

    assertThat(policies.keyPrefix()).isEqualTo("recipes-app:");
    assertThat(policies.byType()).containsOnlyKeys("user_profiles", "recipes", "search_results");
    assertThat(policies.forType("user_profiles")).contains(
        new CachePolicy("user_profiles", Duration.ofHours(1), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN));
    assertThat(policies.forType("recipes").orElseThrow().ttl()).isEqualTo(Duration.ofMinutes(30));
    assertThat(policies.forType("recipes").orElseThrow().writeStrategy()).isEqualTo(WriteStrategy.WRITE_BEHIND);
    assertThat(policies.forType("search_results").orElseThrow().ttl()).isEqualTo(Duration.ofMinutes(15));
    assertThat(policies.forType("taste_profiles")).isEmpty();
  }

  @Test
  void durationsInEverySpellingTheCrdAndPeopleUse() {
    assertThat(CachePolicies.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(CachePolicies.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(CachePolicies.parseDuration("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(CachePolicies.parseDuration("4h")).isEqualTo(Duration.ofHours(4));
    assertThat(CachePolicies.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(CachePolicies.parseDuration(" 3600 ")).isEqualTo(Duration.ofHours(1));
    assertThat(CachePolicies.parseDuration("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
    assertThatThrownBy(() -> CachePolicies.parseDuration("soon")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTypeWithoutAllThreeFieldsIsRejectedWithItsName() {
    assertThatThrownBy(() -> CachePolicies.parse("keyPrefix=u:\nrecipes.ttl=30m\nrecipes.strategy=write-behind\n"))
        .hasMessageContaining("recipes").hasMessageContaining("invalidation");
    assertThatThrownBy(() -> CachePolicies.parse("recipes.ttl=30m\nrecipes.strategy=write-behind\n"
        + "recipes.invalidation=manual\n")).hasMessageContaining("keyPrefix");
    assertThatThrownBy(() -> CachePolicies.parse("keyPrefix=u:\nr.ttl=0s\nr.strategy=write-behind\nr.invalidation=manual"))
        .hasMessageContaining("ttl");
    assertThatThrownBy(() -> CachePolicies.parse("keyPrefix=u:\nr.ttl=1s\nr.strategy=write-around\nr.invalidation=manual"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void seedDefaultsAreTheSeedsTable() {
    CachePolicies seed = CachePolicies.seedDefaults("u:");
    assertThat(seed.byType()).hasSize(4);
    assertThat(seed.forType("user_profiles").orElseThrow().ttl()).isEqualTo(Duration.ofHours(1));
    assertThat(seed.forType("recipes").orElseThrow().writeStrategy()).isEqualTo(WriteStrategy.WRITE_BEHIND);
    assertThat(seed.forType("search_results").orElseThrow().invalidation()).isEqualTo(InvalidationMode.MANUAL);
    assertThat(seed.forType("taste_profiles").orElseThrow().ttl()).isEqualTo(Duration.ofHours(4));
  }
}
