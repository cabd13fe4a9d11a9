package dev.databaseunit.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Grafana dashboards of the seed's monitoring pattern, with its refresh intervals and the panels it names. */
class DashboardsTest {
  static final Path DIR = Path.of("helm", "databaseunit-operator", "files", "dashboards");

  @ParameterizedTest
  @CsvSource({
      "database-overview.json, 30s, CPU|Memory|Connections|Query latency",
      "cache-performance.json, 1m, Hit ratio|Evictions|Memory",
      "vector-search.json, 2m, Search latency|Recall|Index efficiency"})
  void dashboardHasTheSeedsRefreshAndPanels(String file, String refresh, String panels) throws Exception {
    Map<?, ?> dashboard = new KubernetesSerialization().unmarshal(Files.readString(DIR.resolve(file)), Map.class);
    assertThat(dashboard.get("refresh")).isEqualTo(refresh);
    List<?> panelList = (List<?>) dashboard.get("panels");
    List<String> titles = panelList.stream().map(p -> (String) ((Map<?, ?>) p).get("title")).toList();
    for (String wanted : panels.split("\\|")) {
      assertThat(titles).as(file).anyMatch(t -> t.startsWith(wanted));
    }
    assertThat(panelList).allSatisfy(p -> assertThat((List<?>) ((Map<?, ?>) p).get("targets")).isNotEmpty());
    // What dashboard-linter (scripts/lint-chart.sh) also demands: a reader learns what a panel shows from the panel.
    assertThat(panelList).allSatisfy(p -> assertThat((String) ((Map<?, ?>) p).get("description")).as(file).isNotBlank());
  }
}
