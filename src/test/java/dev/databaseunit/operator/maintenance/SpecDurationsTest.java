package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SpecDurationsTest {
  @Test
  void everyUnitOfTheApiPattern() {
    assertThat(SpecDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(SpecDurations.parse("300s")).isEqualTo(Duration.ofMinutes(5));
    assertThat(SpecDurations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(SpecDurations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(SpecDurations.parse("1d")).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void anythingElseIsRefused() {
    for (String bad : new String[] {"0s", "5", "5 m", "-5m", "5w", "", "PT5M"}) {
      assertThatThrownBy(() -> SpecDurations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> SpecDurations.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
