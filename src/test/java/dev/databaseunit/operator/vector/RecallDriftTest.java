package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecallDriftTest {

  @Test
  void aFifthOfTheLiveRowsWrittenMakesTheMeasurementStaleAndNeverFewerThanAHundred() {
    for (long live = 0; live <= 5_000; live += 7) {
      long threshold = Math.max(100, (long) Math.ceil(0.2 * live));
      for (long written = 0; written <= threshold + 3; written++) {
        assertThat(RecallDrift.stale(1_000L, 1_000 + written, live)).as("%d written of %d", written, live)
            .isEqualTo(written >= threshold);
      }
    }
  }

  @Test
  void beforeAnyProbeNothingIsStaleAndAResetCounterIs() {
    assertThat(RecallDrift.stale(null, 1_000_000, 10)).isFalse();
    assertThat(RecallDrift.stale(500L, 499, 10)).isTrue();
    assertThat(RecallDrift.stale(500L, 500, 0)).isFalse();
  }
}
