{{- define "databaseunit.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "databaseunit.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "databaseunit.labels" -}}
{{ include "databaseunit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "databaseunit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "databaseunit.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "databaseunit.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- /* The helm test pod's labels: the chart's, under another name, so that selectors meant for the operator pods (the
metrics Service, PodDisruptionBudget, anti-affinity, PodMonitor and NetworkPolicy) leave it out. */ -}}
{{- define "databaseunit.testLabels" -}}
{{ include "databaseunit.labels" . | replace (printf "app.kubernetes.io/name: %s" .Chart.Name) (printf "app.kubernetes.io/name: %s-test" .Chart.Name) }}
{{- end -}}
