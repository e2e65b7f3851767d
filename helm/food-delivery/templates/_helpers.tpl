{{/* Names and labels shared by every template. */}}
{{- define "fd.name" -}}{{ .Chart.Name }}{{- end -}}

{{- define "fd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "fd.labels" -}}
app.kubernetes.io/name: {{ include "fd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "fd.selector" -}}
app.kubernetes.io/name: {{ include "fd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The Secret holding keys and connection strings (generated, or the user's own). */}}
{{- define "fd.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "fd.fullname" .)) -}}
{{- end -}}

{{- define "fd.mongoUrl" -}}
{{- if .Values.mongodb.enabled -}}mongodb://{{ include "fd.fullname" . }}-mongodb:27017/
{{- else -}}{{ required "mongodb.externalUrl (or mongodb.enabled=true, or existingSecret with mongo-url)" .Values.mongodb.externalUrl }}{{- end -}}
{{- end -}}

{{- define "fd.redisUrl" -}}
{{- if .Values.redis.enabled -}}redis://{{ include "fd.fullname" . }}-redis:6379/0
{{- else -}}{{ required "redis.externalUrl (or redis.enabled=true, or existingSecret with redis-url)" .Values.redis.externalUrl }}{{- end -}}
{{- end -}}

{{/* Environment of one service: secrets, its database, its client credentials. */}}
{{- define "fd.serviceEnv" -}}
{{- $secret := include "fd.secretName" .root -}}
- name: DJANGO_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: django-secret-key}}
- name: MONGO_URL
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: mongo-url}}
- name: REDIS_URL
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: redis-url}}
{{- if eq .service "auth" }}
- name: JWT_PRIVATE_KEY
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: jwt-private-key}}
- name: SERVICE_CLIENTS
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: service-clients}}
{{- end }}
{{- if .spec.clientId }}
- name: SERVICE_CLIENT_ID
  value: {{ .spec.clientId | quote }}
- name: SERVICE_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ printf "client-secret-%s" .spec.clientId }}}}
{{- end }}
{{- if eq .service "gateway" }}
# The ingress controller appends one X-Forwarded-For hop; without it nothing in front is trusted.
- name: TRUSTED_PROXY_HOPS
  value: {{ ternary "1" "0" .root.Values.ingress.enabled | quote }}
# /readyz and /metrics only for what reaches the pod directly (probes, Prometheus), not the ingress.
- name: OPERATIONS_DIRECT_ONLY
  value: {{ .root.Values.ingress.enabled | quote }}
{{- else }}
# Backends carry on without Redis (fallbacks), so only MongoDB takes them out of rotation.
- name: READINESS_REQUIRES
  value: mongodb
{{- end }}
{{- range $key, $value := .spec.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* A namespace selector: the given one, else the namespace named `name` (none when both are empty). */}}
{{- define "fd.namespaceSelector" -}}
{{- if .selector -}}{{ toYaml .selector }}
{{- else if .name -}}matchLabels: {kubernetes.io/metadata.name: {{ .name | quote }}}
{{- end -}}
{{- end -}}
