package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

@ValidationRule(value = "has(self.external) != has(self.managed)", message = "set exactly one of external or managed")
public record PostgresSpec(
    @JsonPropertyDescription("An existing server (RDS, Cloud SQL, self-hosted) reached over the network.")
        ExternalPostgres external,
    @JsonPropertyDescription("A single-instance PostgreSQL with pgvector run by the operator.") ManagedPostgres managed) {}
