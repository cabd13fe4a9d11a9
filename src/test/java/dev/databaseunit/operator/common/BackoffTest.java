package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void anExponentialBackoffDoublesUpToItsCapAndStaysThereWithoutOverflow() {
    var backoff = Backoff.exponential(Duration.ofSeconds(2), Duration.ofMinutes(5));
    assertThat(IntStream.rangeClosed(1, 10).mapToObj(backoff::delay).map(Duration::toSeconds))
        .containsExactly(2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 300L, 300L);
    assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
    assertThat(backoff.mayRetry(Integer.MAX_VALUE)).isTrue();
  }

  @Test
  void aFixedBackoffWaitsTheSameAfterEveryFailureAndEndsAfterItsAttempts() {
    var backoff = Backoff.fixed(Duration.ofSeconds(1), 3);
    assertThat(IntStream.rangeClosed(1, 3).mapToObj(backoff::delay)).containsOnly(Duration.ofSeconds(1));
    assertThat(IntStream.rangeClosed(1, 4).mapToObj(backoff::mayRetry)).containsExactly(true, true, false, false);
  }

  @Test
  void aFactorThatIsNotTwoAndAnUnevenInitialAreExact() {
    var backoff = new Backoff(Duration.ofMillis(150), 1.5, Duration.ofSeconds(1), Backoff.UNLIMITED);
    assertThat(IntStream.rangeClosed(1, 6).mapToObj(backoff::delay).map(Duration::toMillis))
        .containsExactly(150L, 225L, 337L, 506L, 759L, 1000L);
  }

  @Test
  void aPolicyThatCannotBeMetIsRefused() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1), 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1), 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), 2, Duration.ofSeconds(1), -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Backoff.fixed(Duration.ofSeconds(1), 3).delay(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void perKeyCountsFailuresOfEachKeyApartAndResetStartsAgain() {
    var perKey = Backoff.exponential(Duration.ofSeconds(5), Duration.ofMinutes(5)).perKey();
    assertThat(perKey.next("a")).isEqualTo(Duration.ofSeconds(5));
    assertThat(perKey.next("a")).isEqualTo(Duration.ofSeconds(10));
    assertThat(perKey.next("b")).isEqualTo(Duration.ofSeconds(5));
    perKey.reset("a");
    assertThat(perKey.next("a")).isEqualTo(Duration.ofSeconds(5));
    assertThat(perKey.next("b")).isEqualTo(Duration.ofSeconds(10));
  }
}
