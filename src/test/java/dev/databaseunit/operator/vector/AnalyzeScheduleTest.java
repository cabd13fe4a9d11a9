package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AnalyzeScheduleTest {
  private final AnalyzeSchedule daily4am = AnalyzeSchedule.parse("0 0 4 * * ?");

  @Test
  void aNewIndexIsAnalysedAtOnce() {
    Instant now = Instant.parse("2026-03-01T10:00:00Z");
    assertThat(daily4am.isDue(null, now)).isTrue();
    assertThat(daily4am.untilNextRun(null, now)).contains(Duration.ZERO);
  }

  @Test
  void theNextRunIsTheFirstFireAfterTheLastRunInUtc() {
    Instant last = Instant.parse("2026-03-01T10:00:00Z");
    assertThat(daily4am.nextRun(last, last)).contains(Instant.parse("2026-03-02T04:00:00Z"));
    assertThat(daily4am.isDue(last, Instant.parse("2026-03-02T03:59:59Z"))).isFalse();
    assertThat(daily4am.untilNextRun(last, Instant.parse("2026-03-02T03:00:00Z"))).contains(Duration.ofHours(1));
    assertThat(daily4am.isDue(last, Instant.parse("2026-03-02T04:00:00Z"))).isTrue();
  }

  @Test
  void aRestartAfterAMissedFireRunsOnceAndThenWaitsForTheNextFire() {
    Instant last = Instant.parse("2026-03-01T04:00:00Z");
    // The operator was down across two 04:00 fires: one run is due, not two.
    Instant back = Instant.parse("2026-03-03T09:00:00Z");
    assertThat(daily4am.isDue(last, back)).isTrue();
    assertThat(daily4am.isDue(back, back)).isFalse();
    assertThat(daily4am.nextRun(back, back)).contains(Instant.parse("2026-03-04T04:00:00Z"));
  }

  @Test
  void aRestartRightAfterARunDoesNotRepeatIt() {
    Instant last = Instant.parse("2026-03-02T04:00:00.500Z");
    assertThat(daily4am.isDue(last, Instant.parse("2026-03-02T04:00:05Z"))).isFalse();
  }

  @Test
  void anExpressionThatNeverFiresAgainIsNeverDue() {
    var past = AnalyzeSchedule.parse("0 0 4 1 1 ? 2020");
    Instant last = Instant.parse("2026-03-01T00:00:00Z");
    assertThat(past.nextRun(last, last)).isEmpty();
    assertThat(past.isDue(last, last.plus(Duration.ofDays(400)))).isFalse();
  }

  @Test
  void aCalendarImpossibleExpressionIsRejectedWithQuartzsReason() {
    assertThatThrownBy(() -> AnalyzeSchedule.parse("0 0 4 * * * *"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid cron");
  }
}
