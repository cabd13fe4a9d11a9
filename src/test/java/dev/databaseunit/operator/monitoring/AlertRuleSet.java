package dev.databaseunit.operator.monitoring;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The operator's alert rules, rendered into the chart's Prometheus rule file (one templated rule set for all
 * units; every series carries namespace and unit/name labels). Each condition becomes three rules, one per
 * escalation level of the seed: the condition held for its duration plus 5 minutes → level 1 (Slack), plus 15
 * → level 2 (email and Slack), plus 30 → level 3 (PagerDuty); docs/alertmanager-routing.yaml routes on the
 * {@code escalation} label and lets a higher level silence the lower ones. Regenerate with
 * {@code scripts/generate-monitoring.sh}; AlertRulesTest fails when the committed file is stale.
 */
public final class AlertRuleSet {
  public static final Path RULE_FILE = Path.of("helm", "databaseunit-operator", "files", "prometheus-rules.yaml");
  public static final String RUNBOOKS = "https://github.com/databaseunit/databaseunit-operator/blob/main/docs/runbooks.md";

  /** One alerting condition; {@code threshold} is what the seed names, kept for the test that compares them. */
  public record Alert(String group, String name, String expr, double threshold, Duration holdFor, String summary,
      String description) {}

  /** Escalation levels of the seed's monitoring pattern: delay after the condition's own duration. */
  public record Level(String label, Duration delay, String channels) {}

  public static final List<Level> LEVELS = List.of(
      new Level("level1", Duration.ofMinutes(5), "slack"),
      new Level("level2", Duration.ofMinutes(15), "email, slack"),
      new Level("level3", Duration.ofMinutes(30), "pagerduty"));

  public static final List<Alert> ALERTS = List.of(
      // database_performance (seed). CPU and memory of a managed instance come from the kubelet (cAdvisor) and
      // kube-state-metrics; for RDS use the CloudWatch exporter's CPUUtilization/FreeableMemory instead.
      new Alert("database", "DatabaseUnitCpuHigh",
          "100 * sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container=\"postgres\"}[5m])) / sum by (namespace, pod) (kube_pod_container_resource_limits{container=\"postgres\", resource=\"cpu\"}) > %s",
          70, Duration.ofMinutes(5), "PostgreSQL CPU above 70% of its limit",
          "{{ $labels.namespace }}/{{ $labels.pod }} has used over 70% of its CPU limit for 5 minutes."),
      new Alert("database", "DatabaseUnitMemoryHigh",
          "100 * sum by (namespace, pod) (container_memory_working_set_bytes{container=\"postgres\"}) / sum by (namespace, pod) (kube_pod_container_resource_limits{container=\"postgres\", resource=\"memory\"}) > %s",
          80, Duration.ofMinutes(5), "PostgreSQL memory above 80% of its limit",
          "{{ $labels.namespace }}/{{ $labels.pod }} has used over 80% of its memory limit for 5 minutes."),
      new Alert("database", "DatabaseUnitConnectionsHigh", "databaseunit_postgres_connections > %s",
          40, Duration.ofMinutes(3), "More than 40 connections to the unit's database",
          "{{ $labels.namespace }}/{{ $labels.unit }} has had more than 40 sessions for 3 minutes; check the pooler and application pools."),
      new Alert("database", "DatabaseUnitQueryLatencyHigh", "databaseunit_postgres_query_latency_p95_seconds * 1000 > %s",
          500, Duration.ofMinutes(2), "Query latency p95 above 500 ms",
          "{{ $labels.namespace }}/{{ $labels.unit }}: statement latency p95 above 500 ms for 2 minutes."),
      new Alert("database", "DatabaseUnitSlowQueries", "databaseunit_postgres_slow_queries > %s",
          10, Duration.ofMinutes(5), "More than 10 queries running longer than 1 s",
          "{{ $labels.namespace }}/{{ $labels.unit }} has had more than 10 queries running over a second for 5 minutes."),
      // cache_performance (seed)
      new Alert("cache", "DatabaseUnitCacheHitRateLow", "100 * databaseunit_cache_hit_ratio < %s",
          70, Duration.ofMinutes(10), "Cache hit rate below 70%",
          "{{ $labels.namespace }}/{{ $labels.unit }}: cache hit rate below 70% for 10 minutes."),
      new Alert("cache", "DatabaseUnitCacheEvictionsHigh", "60 * rate(databaseunit_cache_evicted_keys[5m]) > %s",
          100, Duration.ofMinutes(5), "More than 100 cache evictions per minute",
          "{{ $labels.namespace }}/{{ $labels.unit }} evicts over 100 keys a minute: raise maxMemory or shorten TTLs."),
      new Alert("cache", "DatabaseUnitCacheMemoryHigh",
          "100 * databaseunit_cache_memory_used_bytes / (databaseunit_cache_memory_max_bytes > 0) > %s",
          85, Duration.ofMinutes(5), "Cache memory above 85% of maxmemory",
          "{{ $labels.namespace }}/{{ $labels.unit }} uses over 85% of its Redis maxmemory."),
      // vector_search (seed)
      new Alert("vector", "DatabaseUnitVectorSearchSlow", "1000 * databaseunit_vector_search_seconds{quantile=\"0.95\"} > %s",
          3000, Duration.ofMinutes(5), "Vector search p95 above 3 s",
          "{{ $labels.namespace }}/{{ $labels.unit }} index {{ $labels.index }}: search p95 above 3 s for 5 minutes."),
      new Alert("vector", "DatabaseUnitVectorRecallLow", "100 * databaseunit_vector_recall < %s",
          90, Duration.ofMinutes(10), "Vector search recall below 90%",
          "{{ $labels.namespace }}/{{ $labels.unit }} index {{ $labels.index }}: recall@10 below 90%; raise efSearch or rebuild with a larger m."),
      new Alert("vector", "DatabaseUnitVectorIndexEfficiencyLow", "100 * databaseunit_vector_index_efficiency < %s",
          80, Duration.ofMinutes(15), "Vector index used by less than 80% of scans",
          "{{ $labels.namespace }}/{{ $labels.unit }}: fewer than 80% of scans of the table use index {{ $labels.index }}."),
      // Beyond the seed: the operator's own capabilities.
      new Alert("operator", "DatabaseUnitDegraded", "databaseunit_resource_degraded > %s",
          0, Duration.ofMinutes(10), "A DatabaseUnit resource is Degraded",
          "{{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }} is Degraded; kubectl describe shows the reason."),
      new Alert("pooler", "DatabaseUnitPoolClientsWaiting", "databaseunit_pool_clients_waiting > %s",
          0, Duration.ofMinutes(5), "Clients queue for server connections in PgBouncer",
          "{{ $labels.namespace }}/{{ $labels.unit }} has had clients waiting for a server connection for 5 minutes."),
      new Alert("pooler", "DatabaseUnitPoolAtMaximum",
          "databaseunit_pool_size >= databaseunit_pool_max_size and databaseunit_pool_utilisation > %s",
          0.8, Duration.ofMinutes(10), "The adaptive pool has been at its maximum size for 10 minutes",
          "{{ $labels.namespace }}/{{ $labels.unit }} cannot grow further; raise pooler.maxSize or find the slow queries."),
      new Alert("backup", "DatabaseUnitBackupTooOld",
          "time() - databaseunit_backup_last_success_timestamp_seconds > databaseunit_backup_rpo_target_seconds * %s",
          1, Duration.ofMinutes(5), "The newest good backup is older than the RPO target",
          "{{ $labels.namespace }}/{{ $labels.policy }}: the newest good backup is older than the policy's RPO target."),
      new Alert("backup", "DatabaseUnitRestoreTestFailed", "databaseunit_restore_test_passed < %s",
          1, Duration.ZERO, "The last restore test failed",
          "{{ $labels.namespace }}/{{ $labels.policy }}: the newest backup did not restore cleanly; see status.lastRestoreTest."),
      new Alert("backup", "DatabaseUnitRestoreTestOverRto",
          "databaseunit_restore_test_recovery_seconds > databaseunit_backup_rto_target_seconds * %s",
          1, Duration.ZERO, "The last restore test took longer than the RTO target",
          "{{ $labels.namespace }}/{{ $labels.policy }}: the last restore test took longer than the RTO target."),
      new Alert("vector", "DatabaseUnitVectorIndexNotReady", "databaseunit_vector_index_ready < %s",
          1, Duration.ofMinutes(30), "An HNSW index is invalid or has been building for 30 minutes",
          "{{ $labels.namespace }}/{{ $labels.unit }} index {{ $labels.index }} is not ready; see status.vectorIndexes."),
      new Alert("maintenance", "DatabaseUnitMaintenanceFailed",
          "increase(databaseunit_maintenance_runs_total{outcome=~\"Failed|RolledBack\"}[1h]) > %s",
          0, Duration.ZERO, "A maintenance run failed and was rolled back",
          "{{ $labels.namespace }}/{{ $labels.unit }}: see the MaintenanceWindow's status.lastRun."),
      new Alert("gdpr", "DatabaseUnitGdprRequestFailed", "databaseunit_resource_degraded{kind=\"GdprRequest\"} > %s",
          0, Duration.ZERO, "A GDPR request is failing",
          "GdprRequest {{ $labels.namespace }}/{{ $labels.name }} failed and is being retried; nothing was partially erased. Its status says why."));

  private AlertRuleSet() {}

  public static String render() {
    var out = new StringBuilder("""
        # Generated by AlertRuleSet (scripts/generate-monitoring.sh); do not edit. Thresholds and durations are the
        # seed's monitoring pattern; each condition escalates level1 (slack) -> level2 (email, slack) -> level3
        # (pagerduty) after 5, 15 and 30 more minutes (docs/alertmanager-routing.yaml).
        groups:
        """);
    var groups = ALERTS.stream().collect(java.util.stream.Collectors.groupingBy(Alert::group,
        java.util.LinkedHashMap::new, java.util.stream.Collectors.toList()));
    groups.forEach((group, alerts) -> {
      out.append("  - name: databaseunit-").append(group).append('\n').append("    rules:\n");
      alerts.forEach(alert -> appendLevels(out, alert));
    });
    return out.toString();
  }

  private static void appendLevels(StringBuilder out, Alert alert) {
    {
      for (Level level : LEVELS) {
        String severity = switch (level.label()) {
          case "level1" -> "warning";
          case "level2" -> "error";
          default -> "critical";
        };
        out.append("      - alert: ").append(alert.name()).append('\n')
            .append("        expr: ").append(yamlString(alert.expr().formatted(number(alert.threshold())))).append('\n')
            .append("        for: ").append(minutes(alert.holdFor().plus(level.delay()))).append('\n')
            .append("        labels:\n")
            .append("          severity: ").append(severity).append('\n')
            .append("          escalation: ").append(level.label()).append('\n')
            .append("        annotations:\n")
            .append("          summary: ").append(yamlString(alert.summary())).append('\n')
            .append("          description: ").append(yamlString(alert.description())).append('\n')
            .append("          runbook_url: ").append(RUNBOOKS).append('#').append(alert.name().toLowerCase(Locale.ROOT)).append('\n');
      }
    }
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static String minutes(Duration duration) {
    return duration.toMinutes() + "m";
  }

  /** A double-quoted YAML scalar: backslashes and quotes escaped, so PromQL and templates pass through as is. */
  private static String yamlString(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  public static void main(String[] args) throws Exception {
    Files.writeString(RULE_FILE, render());
    System.out.println("wrote " + RULE_FILE);
  }
}
