package dev.databaseunit.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.databaseunit.operator.monitoring.StatementLatency.Totals;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatementLatencyTest {

  @Test
  void noExecutionsInTheIntervalHasNoQuantile() {
    var same = Map.of(1L, new Totals(10, 100));
    assertThat(StatementLatency.quantileSeconds(same, same, 0.95)).isEmpty();
    assertThat(StatementLatency.quantileSeconds(Map.of(), Map.of(), 0.95)).isEmpty();
  }

  @Test
  void executionsAreWeightedByTheirCount() {
    // 94 fast executions (1 ms) and 6 slow ones (500 ms): the 95th of 100 is slow.
    var before = Map.of(1L, new Totals(1000, 1000), 2L, new Totals(10, 5000));
    var after = Map.of(1L, new Totals(1094, 1094), 2L, new Totals(16, 8000));
    assertThat(StatementLatency.quantileSeconds(before, after, 0.95).getAsDouble()).isCloseTo(0.5, within(1e-9));
    // With only 5 slow ones the 95th is still fast.
    var fewer = Map.of(1L, new Totals(1095, 1095), 2L, new Totals(15, 7500));
    assertThat(StatementLatency.quantileSeconds(before, fewer, 0.95).getAsDouble()).isCloseTo(0.001, within(1e-9));
  }

  @Test
  void aStatementNewInTheIntervalCountsFromZero() {
    var after = Map.of(7L, new Totals(4, 40));
    assertThat(StatementLatency.quantileSeconds(Map.of(), after, 0.5).getAsDouble()).isCloseTo(0.01, within(1e-9));
  }

  @Test
  void aStatisticsResetCountsTheNewTotalsOnly() {
    var before = Map.of(1L, new Totals(1000, 50_000));
    var after = Map.of(1L, new Totals(10, 20));
    assertThat(StatementLatency.quantileSeconds(before, after, 0.95).getAsDouble()).isCloseTo(0.002, within(1e-9));
  }

  @Test
  void theMaximumQuantileIsTheSlowestStatement() {
    var after = Map.of(1L, new Totals(100, 100), 2L, new Totals(1, 3000));
    assertThat(StatementLatency.quantileSeconds(Map.of(), after, 1.0).getAsDouble()).isCloseTo(3.0, within(1e-9));
  }
}
