package dev.databaseunit.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.Commands;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's alert rules: generated from AlertRuleSet, thresholds and durations equal to the seed's, accepted by
 * promtool, and each seed alert fired by promtool's rule tests at exactly the time its escalation level says, for
 * a series over the threshold and never for one at the threshold.
 */
class AlertRulesTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** The seed's monitoring pattern: alert → {threshold, minutes}. */
  private static final Map<String, double[]> SEED = Map.ofEntries(
      Map.entry("DatabaseUnitCpuHigh", new double[] {70, 5}),
      Map.entry("DatabaseUnitMemoryHigh", new double[] {80, 5}),
      Map.entry("DatabaseUnitConnectionsHigh", new double[] {40, 3}),
      Map.entry("DatabaseUnitQueryLatencyHigh", new double[] {500, 2}),
      Map.entry("DatabaseUnitSlowQueries", new double[] {10, 5}),
      Map.entry("DatabaseUnitCacheHitRateLow", new double[] {70, 10}),
      Map.entry("DatabaseUnitCacheEvictionsHigh", new double[] {100, 5}),
      Map.entry("DatabaseUnitCacheMemoryHigh", new double[] {85, 5}),
      Map.entry("DatabaseUnitVectorSearchSlow", new double[] {3000, 5}),
      Map.entry("DatabaseUnitVectorRecallLow", new double[] {90, 10}),
      Map.entry("DatabaseUnitVectorIndexEfficiencyLow", new double[] {80, 15}));

  @Test
  void committedRuleFileIsGenerated() throws Exception {
    assertThat(Files.readString(AlertRuleSet.RULE_FILE))
        .as("%s is stale: run scripts/generate-monitoring.sh", AlertRuleSet.RULE_FILE).isEqualTo(AlertRuleSet.render());
  }

  @Test
  void seedAlertsHaveTheSeedsThresholdsAndDurations() throws Exception {
    Map<String, Object> file = YAML.unmarshal(Files.readString(AlertRuleSet.RULE_FILE), Map.class);
    Map<String, List<Map<String, Object>>> byAlert = new LinkedHashMap<>();
    for (Object group : (List<?>) file.get("groups")) {
      for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
        @SuppressWarnings("unchecked")
        var r = (Map<String, Object>) rule;
        byAlert.computeIfAbsent((String) r.get("alert"), k -> new ArrayList<>()).add(r);
      }
    }
    SEED.forEach((alert, seed) -> {
      List<Map<String, Object>> levels = byAlert.get(alert);
      assertThat(levels).as(alert).hasSize(3);
      Matcher threshold = Pattern.compile("[<>] ([0-9.]+)$").matcher((String) levels.getFirst().get("expr"));
      assertThat(threshold.find()).as(alert).isTrue();
      assertThat(Double.parseDouble(threshold.group(1))).as(alert + " threshold").isEqualTo(seed[0]);
      assertThat(levels).extracting(r -> (Object) r.get("for"))
          .as(alert + " for: seed duration + 5/15/30 min")
          .containsExactly((int) seed[1] + 5 + "m", (int) seed[1] + 15 + "m", (int) seed[1] + 30 + "m");
      assertThat(levels).extracting(r -> (Object) ((Map<?, ?>) r.get("labels")).get("escalation"))
          .containsExactly("level1", "level2", "level3");
      assertThat(levels).allSatisfy(r -> assertThat(((Map<?, ?>) r.get("annotations")).get("runbook_url").toString())
          .endsWith("#" + alert.toLowerCase()));
    });
  }

  @Test
  void promtoolAcceptsTheRules() throws Exception {
    assertThat(promtool("check", "rules", AlertRuleSet.RULE_FILE.toString())).contains("SUCCESS");
  }

  /**
   * One alert, a series that breaches it, a series sitting exactly on the threshold, the labels it fires with, and
   * when the condition starts to hold (a 5m rate of a new series reaches its full value only after 5 minutes).
   */
  private record Case(String alert, int seedMinutes, String hot, String hotValues, String calm, String calmValues,
      Map<String, String> firingLabels, int startMinute) {
    Case(String alert, int seedMinutes, String hot, String hotValues, String calm, String calmValues, Map<String, String> labels) {
      this(alert, seedMinutes, hot, hotValues, calm, calmValues, labels, 0);
    }
  }

  @Test
  void promtoolRuleTestsFireEachSeedAlertOnTime(@TempDir Path dir) throws Exception {
    String u = "namespace=\"apps\",unit=\"shop\"";
    String c = "namespace=\"apps\",unit=\"calm\"";
    Map<String, String> unit = Map.of("namespace", "apps", "unit", "shop");
    Map<String, String> index = Map.of("namespace", "apps", "unit", "shop", "index", "idx");
    List<Case> cases = List.of(
        new Case("DatabaseUnitConnectionsHigh", 3, "databaseunit_postgres_connections{" + u + "}", "41x60",
            "databaseunit_postgres_connections{" + c + "}", "40x60", unit),
        new Case("DatabaseUnitQueryLatencyHigh", 2, "databaseunit_postgres_query_latency_p95_seconds{" + u + "}", "0.6x60",
            "databaseunit_postgres_query_latency_p95_seconds{" + c + "}", "0.5x60", unit),
        new Case("DatabaseUnitSlowQueries", 5, "databaseunit_postgres_slow_queries{" + u + "}", "11x60",
            "databaseunit_postgres_slow_queries{" + c + "}", "10x60", unit),
        new Case("DatabaseUnitCacheHitRateLow", 10, "databaseunit_cache_hit_ratio{" + u + "}", "0.5x60",
            "databaseunit_cache_hit_ratio{" + c + "}", "0.7x60", unit),
        // 120 evictions a minute against 100 a minute: counters rising by 120 and 100 per 1m step.
        new Case("DatabaseUnitCacheEvictionsHigh", 5, "databaseunit_cache_evicted_keys{" + u + "}", "0+120x60",
            "databaseunit_cache_evicted_keys{" + c + "}", "0+100x60", unit, 5),
        new Case("DatabaseUnitVectorSearchSlow", 5,
            "databaseunit_vector_search_seconds{" + u + ",index=\"idx\",quantile=\"0.95\"}", "3.5x60",
            "databaseunit_vector_search_seconds{" + c + ",index=\"idx\",quantile=\"0.95\"}", "3x60",
            Map.of("namespace", "apps", "unit", "shop", "index", "idx", "quantile", "0.95")),
        new Case("DatabaseUnitVectorRecallLow", 10, "databaseunit_vector_recall{" + u + ",index=\"idx\"}", "0.85x60",
            "databaseunit_vector_recall{" + c + ",index=\"idx\"}", "0.9x60", index),
        new Case("DatabaseUnitVectorIndexEfficiencyLow", 15, "databaseunit_vector_index_efficiency{" + u + ",index=\"idx\"}", "0.5x60",
            "databaseunit_vector_index_efficiency{" + c + ",index=\"idx\"}", "0.8x60", index));

    var tests = new StringBuilder("rule_files:\n  - " + AlertRuleSet.RULE_FILE.toAbsolutePath() + "\nevaluation_interval: 1m\ntests:\n");
    for (Case k : cases) {
      var alert = AlertRuleSet.ALERTS.stream().filter(a -> a.name().equals(k.alert())).findFirst().orElseThrow();
      int level1 = k.startMinute() + k.seedMinutes() + 5;
      tests.append("  - interval: 1m\n    input_series:\n")
          .append("      - series: '").append(k.hot()).append("'\n        values: '").append(k.hotValues()).append("'\n")
          .append("      - series: '").append(k.calm()).append("'\n        values: '").append(k.calmValues()).append("'\n")
          .append("    alert_rule_test:\n");
      // One minute early: nothing; at the level-1 time: level 1 only; ten minutes later: levels 1 and 2.
      tests.append("      - eval_time: ").append(level1 - 1).append("m\n        alertname: ").append(k.alert()).append("\n        exp_alerts: []\n");
      tests.append("      - eval_time: ").append(level1 + 1).append("m\n        alertname: ").append(k.alert()).append("\n        exp_alerts:\n");
      expected(tests, alert, k.firingLabels(), "warning", "level1");
      tests.append("      - eval_time: ").append(level1 + 11).append("m\n        alertname: ").append(k.alert()).append("\n        exp_alerts:\n");
      expected(tests, alert, k.firingLabels(), "warning", "level1");
      expected(tests, alert, k.firingLabels(), "error", "level2");
    }
    Path file = dir.resolve("rules-test.yaml");
    Files.writeString(file, tests);
    assertThat(promtool("test", "rules", file.toString())).contains("SUCCESS");
  }

  private static void expected(StringBuilder out, AlertRuleSet.Alert alert, Map<String, String> labels, String severity, String level) {
    out.append("          - exp_labels:\n");
    labels.forEach((k, v) -> out.append("              ").append(k).append(": ").append(v).append('\n'));
    out.append("              severity: ").append(severity).append("\n              escalation: ").append(level).append('\n');
    out.append("            exp_annotations:\n")
        .append("              summary: ").append(quoted(alert.summary())).append('\n')
        .append("              description: ").append(quoted(expand(alert.description(), labels))).append('\n')
        .append("              runbook_url: ").append(AlertRuleSet.RUNBOOKS).append('#').append(alert.name().toLowerCase()).append('\n');
  }

  private static String expand(String template, Map<String, String> labels) {
    String out = template;
    for (var e : labels.entrySet()) {
      out = out.replace("{{ $labels." + e.getKey() + " }}", e.getValue());
    }
    return out;
  }

  private static String quoted(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static String promtool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    return Commands.run(command);
  }
}
