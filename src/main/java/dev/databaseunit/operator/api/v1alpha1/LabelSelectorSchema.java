package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Map;

/**
 * The CRD schema of a label selector, with descriptions. Specs keep fabric8's LabelSelector type and point their
 * schema here with {@code @SchemaFrom}, because fabric8's class carries no descriptions. Same shape as the
 * Kubernetes type; the requirements are ANDed.
 */
public record LabelSelectorSchema(
    @JsonPropertyDescription("Labels a resource must carry, each with exactly this value.") Map<String, String> matchLabels,
    @JsonPropertyDescription("Further requirements on labels, all of which must hold.")
        List<LabelSelectorRequirementSchema> matchExpressions) {

  /** One requirement of a label selector, as in the Kubernetes type. */
  public record LabelSelectorRequirementSchema(
      @JsonPropertyDescription("The label key the requirement applies to.") String key,
      @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.") String operator,
      @JsonPropertyDescription("Values for In and NotIn (non-empty); empty for Exists and DoesNotExist.") List<String> values) {}
}
