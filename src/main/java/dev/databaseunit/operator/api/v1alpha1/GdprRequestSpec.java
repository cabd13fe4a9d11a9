package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A request is a record of something done to a person's data: it is never edited, only created. */
@ValidationRule(value = "self == oldSelf", message = "spec is immutable; create a new GdprRequest instead")
@ValidationRule(value = "self.type == 'Erase' || !self.dryRun", message = "dryRun applies to Erase requests only")
@ValidationRule(value = "!has(self.databaseUnit) || self.databaseUnit.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".databaseUnit",
    message = "databaseUnit " + ApiPatterns.K8S_NAME_MESSAGE)
@ValidationRule(value = "!has(self.subjectId) || self.subjectId.matches(r\"" + ApiPatterns.NO_WHITESPACE + "\")", fieldPath = ".subjectId",
    message = "subjectId " + ApiPatterns.NO_WHITESPACE_MESSAGE)
@ValidationRule(value = "!has(self.exportTtl) || self.exportTtl.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".exportTtl",
    message = "exportTtl " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
public record GdprRequestSpec(
    @Required @Size(max = 253) @JsonPropertyDescription("The DatabaseUnit holding the subject's data.")
        String databaseUnit,
    @Required @JsonPropertyDescription("Export or Erase.") Type type,
    @Required @Size(min = 1, max = 256) @JsonPropertyDescription("Id of the data subject (users.id in the seed schema).") String subjectId,
    @Default("json") @JsonPropertyDescription("Export format: one JSON document, or one CSV per table in a zip.") Format format,
    @Default("false") @JsonPropertyDescription("Erase: report the counts that would be deleted, delete nothing.") Boolean dryRun,
    @Default("7d") @Size(max = 16) @JsonPropertyDescription("Export: delete the export after this long.")
        String exportTtl,
    @Required @Size(min = 1, max = 256) @JsonPropertyDescription("Who asked, recorded in the audit trail.") String requestedBy,
    @Size(max = 1024) @JsonPropertyDescription("Legal basis or ticket reference, recorded in the audit trail.") String reason) {

  public enum Type { Export, Erase }

  public enum Format {
    @JsonProperty("json") JSON,
    @JsonProperty("csv") CSV
  }
}
