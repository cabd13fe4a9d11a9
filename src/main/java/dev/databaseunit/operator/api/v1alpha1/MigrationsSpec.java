package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

@ValidationRule(value = "!has(self.configMaps) || self.configMaps.all(x, x.matches(r\"" + ApiPatterns.K8S_NAME + "\"))", fieldPath = ".configMaps",
    message = "each of configMaps " + ApiPatterns.K8S_NAME_MESSAGE)
@ValidationRule(value = "!has(self.schema) || self.schema.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".schema",
    message = "schema " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
public record MigrationsSpec(
    @Size(min = 1, max = 16)
        @JsonPropertyDescription("ConfigMaps whose keys are Flyway migration files (V1__init.sql, ...), applied in version order.")
        List<@Size(max = 253) String> configMaps,
    @Default("public") @Size(max = 63) @JsonPropertyDescription("Schema the migrations manage.")
        String schema,
    @Default("Reconcile")
        @JsonPropertyDescription("When pending migrations are applied. Reconcile (default): as soon as the operator sees them, "
            + "each migration in its own transaction. MaintenanceWindow: only by the SchemaUpdate task of a MaintenanceWindow "
            + "selecting this unit, all pending migrations in one transaction while PgBouncer holds the clients; between windows "
            + "the operator only validates the applied history and reports status.database.schemaVersion and pendingMigrations.")
        ApplyIn applyIn) {}
