{{/*
Chart name, truncated to the 63 characters of a DNS label.
*/}}
{{- define "turbine-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already holds the chart name.
*/}}
{{- define "turbine-worker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "turbine-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "turbine-worker.labels" -}}
helm.sh/chart: {{ include "turbine-worker.chart" . }}
{{ include "turbine-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: turbine
{{- end }}

{{/*
Labels that select the release's pods (never change them: Deployment selectors are immutable).
*/}}
{{- define "turbine-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "turbine-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels that select the worker pods of every group: what the Service and NOTES.txt select.
*/}}
{{- define "turbine-worker.workerSelectorLabels" -}}
{{ include "turbine-worker.selectorLabels" . }}
app.kubernetes.io/component: worker
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "turbine-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "turbine-worker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository:tag, or repository@digest when a digest pins it.
*/}}
{{- define "turbine-worker.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Secret holding the Redis URL, and its key: an existing one, or the one this release renders.
*/}}
{{- define "turbine-worker.redisSecretName" -}}
{{- .Values.redis.existingSecret | default (include "turbine-worker.fullname" .) }}
{{- end }}
{{- define "turbine-worker.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-url{{ end }}
{{- end }}

{{/*
Environment every Turbine container needs: the Redis URL from the Secret, and the key prefix and shards so
that `turbine …` commands run in the pod (kubectl exec) see the same tenants as the worker.
*/}}
{{- define "turbine-worker.turbineEnv" -}}
- name: TURBINE_BACKEND_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "turbine-worker.redisSecretName" . }}
      key: {{ include "turbine-worker.redisSecretKey" . }}
{{- with .Values.config.prefix }}
- name: TURBINE_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- with .Values.config.shards }}
- name: TURBINE_SHARDS
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
The worker groups, each with the `worker` settings it does not override, as a list in YAML
(`include` can only return text). A map a group sets is merged one level deep over the
worker's, so `autoscaling: { enabled: true }` keeps the worker's replica bounds and targets;
any other value replaces the worker's. With no group listed, one group named "default" whose
Deployment takes the full name.
*/}}
{{- define "turbine-worker.groups" -}}
{{- $groups := list }}
{{- $names := dict }}
{{- $listed := .Values.workerGroups | default (list (dict "name" "default")) }}
{{- range $listed }}
{{- if hasKey $names .name }}
{{- fail (printf "workerGroups: the name %q is used twice; each group needs a name of its own" .name) }}
{{- end }}
{{- $_ := set $names .name true }}
{{- $group := deepCopy $.Values.worker }}
{{- range $key, $value := . }}
{{- $default := index $group $key }}
{{- if and (kindIs "map" $value) (kindIs "map" $default) }}
{{- $merged := deepCopy $default }}
{{- range $k, $v := $value }}{{ $_ := set $merged $k $v }}{{ end }}
{{- $_ := set $group $key $merged }}
{{- else }}
{{- $_ := set $group $key $value }}
{{- end }}
{{- end }}
{{- $fullname := include "turbine-worker.fullname" $ }}
{{- /* The full name is cut, not the group name, so that long release names keep groups apart. */}}
{{- $prefix := $fullname | trunc (int (sub 62 (len .name))) | trimSuffix "-" }}
{{- $resource := ternary $fullname (printf "%s-%s" $prefix .name) (empty $.Values.workerGroups) }}
{{- $_ := set $group "resourceName" $resource }}
{{- $groups = append $groups $group }}
{{- end }}
{{- toYaml $groups }}
{{- end }}

{{/*
Labels that select one group's pods: its Deployment's selector. Takes (dict "root" $ "group" $group).
*/}}
{{- define "turbine-worker.groupSelectorLabels" -}}
{{ include "turbine-worker.workerSelectorLabels" .root }}
turbine/worker-group: {{ .group.name }}
{{- end }}

{{/*
terminationGracePeriodSeconds of a group: the worker's shutdown grace plus a margin, or the
group's own value, refused when it would cut the grace short (Kubernetes would SIGKILL a
worker that is still putting its tasks back). Takes (dict "root" $ "group" $group).
*/}}
{{- define "turbine-worker.terminationGracePeriodSeconds" -}}
{{- $graceMs := required "config.shutdownGraceMs is needed to derive terminationGracePeriodSeconds" .root.Values.config.shutdownGraceMs | int64 }}
{{- $graceSeconds := div (add $graceMs 999) 1000 }}
{{- $set := .group.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $set }}
{{- add $graceSeconds (.group.terminationGraceExtraSeconds | int64) }}
{{- else if le (int64 $set) $graceSeconds }}
{{- fail (printf "worker group %q: terminationGracePeriodSeconds (%d) must be longer than config.shutdownGraceMs (%d ms), or Kubernetes kills workers still finishing their tasks; raise it or leave it empty to derive it" .group.name (int64 $set) $graceMs) }}
{{- else }}
{{- int64 $set }}
{{- end }}
{{- end }}

{{/*
Name of the web console's Deployment and Service.
*/}}
{{- define "turbine-worker.uiName" -}}
{{- printf "%s-ui" (include "turbine-worker.fullname" . | trunc 60 | trimSuffix "-") }}
{{- end }}
