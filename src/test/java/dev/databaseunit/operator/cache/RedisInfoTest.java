package dev.databaseunit.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisInfoTest {

  @Test
  void readsTheFieldsFromInfoSections() {
    String info = """
        # Server\r
        redis_version:7.0.15\r
        run_id:0f4c2e8b1d\r
        \r
        # Stats\r
        instantaneous_ops_per_sec:125\r
        keyspace_hits:300\r
        keyspace_misses:100\r
        evicted_keys:7\r
        \r
        # Memory\r
        used_memory:1048576\r
        used_memory_human:1.00M\r
        maxmemory:268435456\r
        """;
    var parsed = RedisInfo.parse(info);

    assertThat(parsed).isEqualTo(new RedisInfo("0f4c2e8b1d", 300, 100, 7, 1048576, 268435456, 125));
    assertThat(parsed.hitRatio()).isEqualTo(0.75);
  }

  @Test
  void noLookupsYetIsNoRatioAndAbsentFieldsAreZero() {
    var parsed = RedisInfo.parse("# Server\nrun_id:abc\n");

    assertThat(parsed.hitRatio()).isNull();
    assertThat(parsed.hitRatioSince(parsed)).as("a fresh server sampled twice").isNull();
    assertThat(parsed.evictedKeys()).isZero();
    assertThat(parsed.runId()).isEqualTo("abc");
  }

  @Test
  void theRatioFollowsRecentTrafficAndFallsBackToTheLifetimeOne() {
    var earlier = new RedisInfo("r1", 900, 100, 0, 0, 0, 0);
    var now = new RedisInfo("r1", 910, 190, 0, 0, 0, 0);

    assertThat(now.hitRatioSince(earlier)).isEqualTo(0.1);
    assertThat(now.hitRatioSince(null)).isEqualTo(910.0 / 1100);
    assertThat(now.hitRatioSince(new RedisInfo("r0", 5, 5, 0, 0, 0, 0))).as("restarted").isEqualTo(910.0 / 1100);
    assertThat(now.hitRatioSince(now)).as("no lookups since").isEqualTo(910.0 / 1100);
    assertThat(new RedisInfo("r1", 1, 1, 0, 0, 0, 0).hitRatioSince(earlier)).as("CONFIG RESETSTAT").isEqualTo(0.5);
  }
}
