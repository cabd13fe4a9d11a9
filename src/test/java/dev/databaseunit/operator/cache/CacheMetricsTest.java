package dev.databaseunit.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class CacheMetricsTest {

  @Test
  void prometheusSeesTheDocumentedNamesPerUnitUntilTheUnitIsRemoved() {
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var metrics = new CacheMetrics(registry);
    var values = metrics.of("shop/recipes");
    values.info = new RedisInfo("r", 3, 1, 7, 1000, 2000, 42);
    values.hitRatio = 0.75;
    values.invalidationLagSeconds = 0.004;
    values.keysInvalidated.increment(5);

    String scrape = registry.scrape();
    assertThat(scrape).contains(
        "databaseunit_cache_hit_ratio{namespace=\"shop\",unit=\"recipes\"} 0.75",
        "databaseunit_cache_evicted_keys{namespace=\"shop\",unit=\"recipes\"} 7.0",
        "databaseunit_cache_memory_used_bytes{namespace=\"shop\",unit=\"recipes\"} 1000.0",
        "databaseunit_cache_memory_max_bytes{namespace=\"shop\",unit=\"recipes\"} 2000.0",
        "databaseunit_cache_ops_per_second{namespace=\"shop\",unit=\"recipes\"} 42.0",
        "databaseunit_cache_invalidation_lag_seconds{namespace=\"shop\",unit=\"recipes\"} 0.004",
        "databaseunit_cache_keys_invalidated_total{namespace=\"shop\",unit=\"recipes\"} 5.0");

    metrics.remove("shop/recipes");
    assertThat(registry.scrape()).doesNotContain("databaseunit_cache_");
  }
}
