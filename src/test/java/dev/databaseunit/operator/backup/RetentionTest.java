package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.backup.Retention.Backup;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetentionTest {
  private static final Map<Tier, Duration> SEED = Map.of(Tier.DAILY, Duration.ofDays(30), Tier.WEEKLY, Duration.ofDays(84));
  private static final Instant START = Instant.parse("2025-01-01T03:00:00Z");

  /**
   * Fourteen months of the seed schedule (daily 03:00, weekly Sunday) with random gaps (failed nights, a
   * three-week outage), retention applied after every backup as the operator does, sometimes while a restore
   * test holds an old backup.
   */
  @Test
  void keepsExactlyTheWindowOverGeneratedHistoriesWithGaps() {
    for (long seed = 1; seed <= 20; seed++) {
      var random = new Random(seed);
      List<Backup> kept = new ArrayList<>();
      Set<String> everDeleted = new HashSet<>();
      int outageStart = 100 + random.nextInt(200);
      for (int day = 0; day < 425; day++) {
        Instant now = START.plus(Duration.ofDays(day)).plusSeconds(600);
        boolean outage = day >= outageStart && day < outageStart + 21;
        if (outage || random.nextInt(10) == 0) {
          continue;
        }
        boolean sunday = START.plus(Duration.ofDays(day)).atZone(ZoneOffset.UTC).getDayOfWeek() == DayOfWeek.SUNDAY;
        Tier tier = sunday ? Tier.WEEKLY : Tier.DAILY;
        kept.add(new Backup(tier.name() + day, tier, START.plus(Duration.ofDays(day)).plusSeconds(300)));
        Set<String> inUse = random.nextInt(5) == 0 && kept.size() > 3 ? Set.of(kept.get(random.nextInt(kept.size())).id()) : Set.of();

        Set<String> expired = Retention.expired(List.copyOf(kept), SEED, inUse, now);

        Backup newest = kept.stream().max(Comparator.comparing(Backup::endTime)).orElseThrow();
        assertThat(expired).doesNotContain(newest.id());
        inUse.forEach(id -> assertThat(expired).doesNotContain(id));
        for (Backup b : kept) {
          boolean tooOld = Duration.between(b.endTime(), now).compareTo(SEED.get(b.tier())) > 0;
          boolean newestOfTier = kept.stream().filter(o -> o.tier() == b.tier()).max(Comparator.comparing(Backup::endTime))
              .orElseThrow().equals(b);
          assertThat(expired.contains(b.id())).as("seed %d day %d backup %s", seed, day, b)
              .isEqualTo(tooOld && !newestOfTier && !inUse.contains(b.id()));
        }
        everDeleted.addAll(expired);
        kept.removeIf(b -> expired.contains(b.id()));
      }
      assertThat(kept.stream().filter(b -> b.tier() == Tier.DAILY)).hasSizeLessThanOrEqualTo(31 + 1);
      assertThat(kept.stream().filter(b -> b.tier() == Tier.WEEKLY)).hasSizeBetween(1, 13 + 1);
      assertThat(everDeleted).isNotEmpty();
    }
  }

  @Test
  void afterALongOutageTheNewestBackupOfEachTierSurvives() {
    var oldDaily = new Backup("d", Tier.DAILY, START);
    var oldWeekly = new Backup("w", Tier.WEEKLY, START.minus(Duration.ofDays(3)));
    var older = new Backup("d0", Tier.DAILY, START.minus(Duration.ofDays(1)));
    Instant muchLater = START.plus(Duration.ofDays(400));
    assertThat(Retention.expired(List.of(older, oldDaily, oldWeekly), SEED, Set.of(), muchLater)).containsExactly("d0");
  }

  @Test
  void aBackupInUseOrOfATierNoLongerListedIsKept() {
    var inUse = new Backup("used", Tier.DAILY, START);
    var hourly = new Backup("hourly", Tier.HOURLY, START);
    var newest = new Backup("new", Tier.DAILY, START.plus(Duration.ofDays(60)));
    Instant now = START.plus(Duration.ofDays(61));
    assertThat(Retention.expired(List.of(inUse, hourly, newest), SEED, Set.of("used"), now)).isEmpty();
    assertThat(Retention.expired(List.of(inUse, hourly, newest), SEED, Set.of(), now)).containsExactly("used");
  }

  @Test
  void exactlyAtTheRetentionBoundaryABackupIsKept() {
    var b = new Backup("b", Tier.DAILY, START);
    var newest = new Backup("n", Tier.DAILY, START.plus(Duration.ofDays(30)));
    assertThat(Retention.expired(List.of(b, newest), SEED, Set.of(), START.plus(Duration.ofDays(30)))).isEmpty();
    assertThat(Retention.expired(List.of(b, newest), SEED, Set.of(), START.plus(Duration.ofDays(30)).plusSeconds(1)))
        .containsExactly("b");
  }
}
