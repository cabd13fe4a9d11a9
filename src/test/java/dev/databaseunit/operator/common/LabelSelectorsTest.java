package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelSelectorsTest {
  private static final Map<String, String> LABELS = Map.of("tier", "gold", "team", "recipes");

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(nullValues = "-", value = {
      "tier, In, gold|silver, true",
      "tier, In, silver, false",
      "zone, In, a, false",
      "tier, NotIn, silver, true",
      "tier, NotIn, gold, false",
      "zone, NotIn, a, true",
      "tier, Exists, -, true",
      "zone, Exists, -, false",
      "tier, DoesNotExist, -, false",
      "zone, DoesNotExist, -, true",
      "tier, Gt, 1, false"})
  void eachOperatorAsTheApiServerMatchesIt(String key, String operator, String values, boolean expected) {
    var requirement = new LabelSelectorRequirement(key, operator, values != null ? List.of(values.split("\\|")) : null);
    var selector = new LabelSelectorBuilder().withMatchExpressions(requirement).build();
    assertThat(LabelSelectors.matches(selector, LABELS)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"tier=gold, true", "tier=silver, false", "zone=a, false", "tier=gold|team=recipes, true", "tier=gold|team=x, false"})
  void everyMatchLabelMustBePresentWithItsValue(String pairs, boolean expected) {
    Map<String, String> matchLabels = new java.util.HashMap<>();
    for (String pair : pairs.split("\\|")) {
      matchLabels.put(pair.split("=")[0], pair.split("=")[1]);
    }
    assertThat(LabelSelectors.matches(new LabelSelectorBuilder().withMatchLabels(matchLabels).build(), LABELS)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void labelsAndExpressionsMustAllHoldAndAnEmptySelectorMatchesEverything() {
    var both = new LabelSelectorBuilder().withMatchLabels(Map.of("tier", "gold"))
        .withMatchExpressions(new LabelSelectorRequirement("team", "In", List.of("other"))).build();
    assertThat(LabelSelectors.matches(both, LABELS)).isFalse();
    assertThat(LabelSelectors.matches(new LabelSelector(), LABELS)).isTrue();
    assertThat(LabelSelectors.matches(new LabelSelector(), null)).isTrue();
    assertThat(LabelSelectors.matches(null, LABELS)).isTrue();
    assertThat(LabelSelectors.matches(new LabelSelectorBuilder().withMatchLabels(Map.of("tier", "gold")).build(), null)).isFalse();
  }
}
