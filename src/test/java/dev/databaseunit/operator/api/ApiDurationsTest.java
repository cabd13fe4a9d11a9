package dev.databaseunit.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ApiDurationsTest {

  @Test
  void everyUnitOfTheApiPattern() {
    assertThat(ApiDurations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(ApiDurations.parse("300s")).isEqualTo(Duration.ofSeconds(300));
    assertThat(ApiDurations.parse("90m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(ApiDurations.parse("4h")).isEqualTo(Duration.ofHours(4));
    assertThat(ApiDurations.parse("30d")).isEqualTo(Duration.ofDays(30));
    assertThat(ApiDurations.parse("12w")).as("the seed's weekly retention").isEqualTo(Duration.ofDays(84));
  }

  @Test
  void refusesWhatThePatternRefuses() {
    for (String bad : new String[] {"0s", "0w", "1y", "5", "m", "-5m", "1.5h", " 5m", "5M", ""}) {
      assertThatIllegalArgumentException().as(bad).isThrownBy(() -> ApiDurations.parse(bad)).withMessageContaining("not a duration");
    }
    assertThatIllegalArgumentException().isThrownBy(() -> ApiDurations.parse(null));
  }
}
