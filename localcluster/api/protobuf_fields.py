"""Field numbers of the Kubernetes protobuf messages the local cluster decodes (k8s.io/api and
k8s.io/apimachinery v0.32 wire format): for each message (by OpenAPI definition name) the JSON field names in
field-number order, `-` for an unused number. A `*` marks a field whose zero value is meaningful (a Go
pointer: `replicas: 0`), so the decoder keeps it; other zero scalars are Go's unset values and are dropped,
as upstream's JSON output omits them. Field types come from the OpenAPI definitions (definitions.py), so
this table holds numbers only. It covers the closure of the kinds clients send as protobuf (everything
kubectl's typed clients create, plus the rest of the served kinds); a message missing here is answered with a
400 that names it."""

FIELDS: dict[str, str] = {
    "io.k8s.api.apps.v1.Deployment": "metadata spec status",
    "io.k8s.api.apps.v1.DeploymentCondition": "type status - reason message lastUpdateTime lastTransitionTime",
    "io.k8s.api.apps.v1.DeploymentSpec": (
        "replicas* selector template strategy minReadySeconds revisionHistoryLimit* paused - "
        "progressDeadlineSeconds*"
    ),
    "io.k8s.api.apps.v1.DeploymentStatus": (
        "observedGeneration replicas* updatedReplicas availableReplicas unavailableReplicas conditions "
        "readyReplicas collisionCount"
    ),
    "io.k8s.api.apps.v1.DeploymentStrategy": "type rollingUpdate",
    "io.k8s.api.apps.v1.ReplicaSet": "metadata spec status",
    "io.k8s.api.apps.v1.ReplicaSetCondition": "type status lastTransitionTime reason message",
    "io.k8s.api.apps.v1.ReplicaSetSpec": "replicas* selector template minReadySeconds",
    "io.k8s.api.apps.v1.ReplicaSetStatus": (
        "replicas* fullyLabeledReplicas observedGeneration readyReplicas availableReplicas conditions"
    ),
    "io.k8s.api.apps.v1.RollingUpdateDeployment": "maxUnavailable* maxSurge*",
    "io.k8s.api.authentication.v1.SelfSubjectReview": "metadata status",
    "io.k8s.api.authentication.v1.SelfSubjectReviewStatus": "userInfo",
    "io.k8s.api.authentication.v1.UserInfo": "username uid groups extra",
    "io.k8s.api.authorization.v1.FieldSelectorAttributes": "rawSelector requirements",
    "io.k8s.api.authorization.v1.LabelSelectorAttributes": "rawSelector requirements",
    "io.k8s.api.authorization.v1.NonResourceAttributes": "path verb",
    "io.k8s.api.authorization.v1.NonResourceRule": "verbs nonResourceURLs",
    "io.k8s.api.authorization.v1.ResourceAttributes": (
        "namespace verb group version resource subresource name fieldSelector labelSelector"
    ),
    "io.k8s.api.authorization.v1.ResourceRule": "verbs apiGroups resources resourceNames",
    "io.k8s.api.authorization.v1.SelfSubjectAccessReview": "metadata spec status",
    "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec": "resourceAttributes nonResourceAttributes",
    "io.k8s.api.authorization.v1.SelfSubjectRulesReview": "metadata spec status",
    "io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec": "namespace",
    "io.k8s.api.authorization.v1.SubjectAccessReviewStatus": "allowed reason evaluationError denied",
    "io.k8s.api.authorization.v1.SubjectRulesReviewStatus": "resourceRules nonResourceRules incomplete evaluationError",
    "io.k8s.api.autoscaling.v1.CrossVersionObjectReference": "kind name apiVersion",
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler": "metadata spec status",
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec": (
        "scaleTargetRef minReplicas* maxReplicas targetCPUUtilizationPercentage*"
    ),
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus": (
        "observedGeneration lastScaleTime currentReplicas desiredReplicas currentCPUUtilizationPercentage"
    ),
    "io.k8s.api.autoscaling.v1.Scale": "metadata spec status",
    "io.k8s.api.autoscaling.v1.ScaleSpec": "replicas*",
    "io.k8s.api.autoscaling.v1.ScaleStatus": "replicas* selector",
    "io.k8s.api.autoscaling.v2.ContainerResourceMetricSource": "name target container",
    "io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus": "name current container",
    "io.k8s.api.autoscaling.v2.CrossVersionObjectReference": "kind name apiVersion",
    "io.k8s.api.autoscaling.v2.ExternalMetricSource": "metric target",
    "io.k8s.api.autoscaling.v2.ExternalMetricStatus": "metric current",
    "io.k8s.api.autoscaling.v2.HPAScalingPolicy": "type value periodSeconds",
    "io.k8s.api.autoscaling.v2.HPAScalingRules": "selectPolicy policies stabilizationWindowSeconds*",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": "metadata spec status",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior": "scaleUp scaleDown",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition": "type status lastTransitionTime reason message",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec": "scaleTargetRef minReplicas* maxReplicas metrics behavior",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus": (
        "observedGeneration lastScaleTime currentReplicas desiredReplicas currentMetrics conditions"
    ),
    "io.k8s.api.autoscaling.v2.MetricIdentifier": "name selector",
    "io.k8s.api.autoscaling.v2.MetricSpec": "type object pods resource external - containerResource",
    "io.k8s.api.autoscaling.v2.MetricStatus": "type object pods resource external - containerResource",
    "io.k8s.api.autoscaling.v2.MetricTarget": "type value averageValue averageUtilization*",
    "io.k8s.api.autoscaling.v2.MetricValueStatus": "value averageValue averageUtilization*",
    "io.k8s.api.autoscaling.v2.ObjectMetricSource": "describedObject target metric",
    "io.k8s.api.autoscaling.v2.ObjectMetricStatus": "metric current describedObject",
    "io.k8s.api.autoscaling.v2.PodsMetricSource": "metric target",
    "io.k8s.api.autoscaling.v2.PodsMetricStatus": "metric current",
    "io.k8s.api.autoscaling.v2.ResourceMetricSource": "name target",
    "io.k8s.api.autoscaling.v2.ResourceMetricStatus": "name current",
    "io.k8s.api.coordination.v1.Lease": "metadata spec",
    "io.k8s.api.coordination.v1.LeaseSpec": (
        "holderIdentity leaseDurationSeconds* acquireTime renewTime leaseTransitions* strategy "
        "preferredHolder"
    ),
    "io.k8s.api.core.v1.Affinity": "nodeAffinity podAffinity podAntiAffinity",
    "io.k8s.api.core.v1.AppArmorProfile": "type localhostProfile",
    "io.k8s.api.core.v1.AttachedVolume": "name devicePath",
    "io.k8s.api.core.v1.Capabilities": "add drop",
    "io.k8s.api.core.v1.ClientIPConfig": "timeoutSeconds",
    "io.k8s.api.core.v1.ConfigMap": "metadata data binaryData immutable*",
    "io.k8s.api.core.v1.ConfigMapEnvSource": "localObjectReference optional*",
    "io.k8s.api.core.v1.ConfigMapKeySelector": "localObjectReference key optional*",
    "io.k8s.api.core.v1.ConfigMapNodeConfigSource": "namespace name uid resourceVersion kubeletConfigKey",
    "io.k8s.api.core.v1.Container": (
        "name image command args workingDir ports env resources volumeMounts livenessProbe readinessProbe "
        "lifecycle terminationMessagePath imagePullPolicy securityContext stdin stdinOnce tty envFrom "
        "terminationMessagePolicy volumeDevices startupProbe resizePolicy restartPolicy"
    ),
    "io.k8s.api.core.v1.ContainerImage": "names sizeBytes",
    "io.k8s.api.core.v1.ContainerPort": "name hostPort containerPort protocol hostIP",
    "io.k8s.api.core.v1.ContainerResizePolicy": "resourceName restartPolicy",
    "io.k8s.api.core.v1.ContainerState": "waiting running terminated",
    "io.k8s.api.core.v1.ContainerStateRunning": "startedAt",
    "io.k8s.api.core.v1.ContainerStateTerminated": "exitCode signal reason message startedAt finishedAt containerID",
    "io.k8s.api.core.v1.ContainerStateWaiting": "reason message",
    "io.k8s.api.core.v1.ContainerStatus": (
        "name state lastState ready* restartCount image imageID containerID started allocatedResources "
        "resources volumeMounts user allocatedResourcesStatus"
    ),
    "io.k8s.api.core.v1.ContainerUser": "linux",
    "io.k8s.api.core.v1.DaemonEndpoint": "Port",
    "io.k8s.api.core.v1.EndpointAddress": "ip targetRef hostname nodeName",
    "io.k8s.api.core.v1.EndpointPort": "name port* protocol appProtocol",
    "io.k8s.api.core.v1.EndpointSubset": "addresses notReadyAddresses ports",
    "io.k8s.api.core.v1.Endpoints": "metadata subsets",
    "io.k8s.api.core.v1.EnvFromSource": "prefix configMapRef secretRef",
    "io.k8s.api.core.v1.EnvVar": "name value valueFrom",
    "io.k8s.api.core.v1.EnvVarSource": "fieldRef resourceFieldRef configMapKeyRef secretKeyRef",
    "io.k8s.api.core.v1.EphemeralContainer": "ephemeralContainerCommon targetContainerName",
    "io.k8s.api.core.v1.Event": (
        "metadata involvedObject reason message source firstTimestamp lastTimestamp count type eventTime "
        "series action related reportingComponent reportingInstance"
    ),
    "io.k8s.api.core.v1.EventSeries": "count lastObservedTime",
    "io.k8s.api.core.v1.EventSource": "component host",
    "io.k8s.api.core.v1.ExecAction": "command",
    "io.k8s.api.core.v1.HTTPGetAction": "path port* host scheme httpHeaders",
    "io.k8s.api.core.v1.HTTPHeader": "name value",
    "io.k8s.api.core.v1.HostAlias": "ip hostnames",
    "io.k8s.api.core.v1.HostIP": "ip",
    "io.k8s.api.core.v1.Lifecycle": "postStart preStop",
    "io.k8s.api.core.v1.LifecycleHandler": "exec httpGet tcpSocket sleep",
    "io.k8s.api.core.v1.LinuxContainerUser": "uid gid supplementalGroups",
    "io.k8s.api.core.v1.LoadBalancerIngress": "ip hostname ipMode ports",
    "io.k8s.api.core.v1.LoadBalancerStatus": "ingress",
    "io.k8s.api.core.v1.LocalObjectReference": "name",
    "io.k8s.api.core.v1.Namespace": "metadata spec status",
    "io.k8s.api.core.v1.NamespaceCondition": "type status - lastTransitionTime reason message",
    "io.k8s.api.core.v1.NamespaceSpec": "finalizers",
    "io.k8s.api.core.v1.NamespaceStatus": "phase conditions",
    "io.k8s.api.core.v1.Node": "metadata spec status",
    "io.k8s.api.core.v1.NodeAddress": "type address",
    "io.k8s.api.core.v1.NodeAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution preferredDuringSchedulingIgnoredDuringExecution"
    ),
    "io.k8s.api.core.v1.NodeCondition": "type status lastHeartbeatTime lastTransitionTime reason message",
    "io.k8s.api.core.v1.NodeConfigSource": "- configMap",
    "io.k8s.api.core.v1.NodeConfigStatus": "assigned active lastKnownGood error",
    "io.k8s.api.core.v1.NodeDaemonEndpoints": "kubeletEndpoint",
    "io.k8s.api.core.v1.NodeFeatures": "supplementalGroupsPolicy",
    "io.k8s.api.core.v1.NodeRuntimeHandler": "name features",
    "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures": "recursiveReadOnlyMounts userNamespaces",
    "io.k8s.api.core.v1.NodeSelector": "nodeSelectorTerms",
    "io.k8s.api.core.v1.NodeSelectorRequirement": "key operator values",
    "io.k8s.api.core.v1.NodeSelectorTerm": "matchExpressions matchFields",
    "io.k8s.api.core.v1.NodeSpec": "podCIDR externalID providerID unschedulable taints configSource podCIDRs",
    "io.k8s.api.core.v1.NodeStatus": (
        "capacity allocatable phase conditions addresses daemonEndpoints nodeInfo images volumesInUse "
        "volumesAttached config runtimeHandlers features"
    ),
    "io.k8s.api.core.v1.NodeSystemInfo": (
        "machineID systemUUID bootID kernelVersion osImage containerRuntimeVersion kubeletVersion "
        "kubeProxyVersion operatingSystem architecture"
    ),
    "io.k8s.api.core.v1.ObjectFieldSelector": "apiVersion fieldPath",
    "io.k8s.api.core.v1.ObjectReference": "kind namespace name uid apiVersion resourceVersion fieldPath",
    "io.k8s.api.core.v1.Pod": "metadata spec status",
    "io.k8s.api.core.v1.PodAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution preferredDuringSchedulingIgnoredDuringExecution"
    ),
    "io.k8s.api.core.v1.PodAffinityTerm": (
        "labelSelector namespaces topologyKey namespaceSelector matchLabelKeys mismatchLabelKeys"
    ),
    "io.k8s.api.core.v1.PodAntiAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution preferredDuringSchedulingIgnoredDuringExecution"
    ),
    "io.k8s.api.core.v1.PodCondition": "type status lastProbeTime lastTransitionTime reason message",
    "io.k8s.api.core.v1.PodDNSConfig": "nameservers searches options",
    "io.k8s.api.core.v1.PodDNSConfigOption": "name value",
    "io.k8s.api.core.v1.PodIP": "ip",
    "io.k8s.api.core.v1.PodOS": "name",
    "io.k8s.api.core.v1.PodReadinessGate": "conditionType",
    "io.k8s.api.core.v1.PodResourceClaim": "name - resourceClaimName resourceClaimTemplateName",
    "io.k8s.api.core.v1.PodResourceClaimStatus": "name resourceClaimName",
    "io.k8s.api.core.v1.PodSchedulingGate": "name",
    "io.k8s.api.core.v1.PodSecurityContext": (
        "seLinuxOptions runAsUser* runAsNonRoot* supplementalGroups fsGroup* runAsGroup* sysctls "
        "windowsOptions fsGroupChangePolicy seccompProfile appArmorProfile supplementalGroupsPolicy "
        "seLinuxChangePolicy"
    ),
    "io.k8s.api.core.v1.PodSpec": (
        "volumes containers restartPolicy terminationGracePeriodSeconds* activeDeadlineSeconds* dnsPolicy "
        "nodeSelector serviceAccountName serviceAccount nodeName hostNetwork hostPID hostIPC securityContext "
        "imagePullSecrets hostname subdomain affinity schedulerName initContainers "
        "automountServiceAccountToken* tolerations hostAliases priorityClassName priority* dnsConfig "
        "shareProcessNamespace* readinessGates runtimeClassName enableServiceLinks* preemptionPolicy overhead "
        "topologySpreadConstraints ephemeralContainers setHostnameAsFQDN* os hostUsers* schedulingGates "
        "resourceClaims resources"
    ),
    "io.k8s.api.core.v1.PodStatus": (
        "phase conditions message reason hostIP podIP startTime containerStatuses qosClass "
        "initContainerStatuses nominatedNodeName podIPs ephemeralContainerStatuses resize "
        "resourceClaimStatuses hostIPs"
    ),
    "io.k8s.api.core.v1.PodTemplateSpec": "metadata spec",
    "io.k8s.api.core.v1.PortStatus": "port* protocol error",
    "io.k8s.api.core.v1.PreferredSchedulingTerm": "weight preference",
    "io.k8s.api.core.v1.Probe": (
        "handler initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold "
        "terminationGracePeriodSeconds*"
    ),
    "io.k8s.api.core.v1.ResourceClaim": "name request",
    "io.k8s.api.core.v1.ResourceFieldSelector": "containerName resource divisor",
    "io.k8s.api.core.v1.ResourceHealth": "resourceID health",
    "io.k8s.api.core.v1.ResourceRequirements": "limits requests claims",
    "io.k8s.api.core.v1.ResourceStatus": "name resources",
    "io.k8s.api.core.v1.SELinuxOptions": "user role type level",
    "io.k8s.api.core.v1.SeccompProfile": "type localhostProfile",
    "io.k8s.api.core.v1.Secret": "metadata data type stringData immutable*",
    "io.k8s.api.core.v1.SecretEnvSource": "localObjectReference optional*",
    "io.k8s.api.core.v1.SecretKeySelector": "localObjectReference key optional*",
    "io.k8s.api.core.v1.SecurityContext": (
        "capabilities privileged* seLinuxOptions runAsUser* runAsNonRoot* readOnlyRootFilesystem "
        "allowPrivilegeEscalation* runAsGroup* procMount windowsOptions seccompProfile appArmorProfile"
    ),
    "io.k8s.api.core.v1.Service": "metadata spec status",
    "io.k8s.api.core.v1.ServiceAccount": "metadata secrets imagePullSecrets automountServiceAccountToken*",
    "io.k8s.api.core.v1.ServicePort": "name protocol port* targetPort nodePort appProtocol",
    "io.k8s.api.core.v1.ServiceSpec": (
        "ports selector clusterIP type externalIPs - sessionAffinity loadBalancerIP loadBalancerSourceRanges "
        "externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses "
        "sessionAffinityConfig - - ipFamilyPolicy clusterIPs ipFamilies allocateLoadBalancerNodePorts "
        "loadBalancerClass internalTrafficPolicy trafficDistribution"
    ),
    "io.k8s.api.core.v1.ServiceStatus": "loadBalancer conditions",
    "io.k8s.api.core.v1.SessionAffinityConfig": "clientIP",
    "io.k8s.api.core.v1.SleepAction": "seconds*",
    "io.k8s.api.core.v1.Sysctl": "name value",
    "io.k8s.api.core.v1.TCPSocketAction": "port* host",
    "io.k8s.api.core.v1.Taint": "key value effect timeAdded",
    "io.k8s.api.core.v1.Toleration": "key operator value effect tolerationSeconds",
    "io.k8s.api.core.v1.TopologySpreadConstraint": (
        "maxSkew topologyKey whenUnsatisfiable labelSelector minDomains nodeAffinityPolicy nodeTaintsPolicy "
        "matchLabelKeys"
    ),
    "io.k8s.api.core.v1.Volume": "name volumeSource",
    "io.k8s.api.core.v1.VolumeDevice": "name devicePath",
    "io.k8s.api.core.v1.VolumeMount": "name readOnly* mountPath subPath mountPropagation subPathExpr recursiveReadOnly",
    "io.k8s.api.core.v1.VolumeMountStatus": "name mountPath readOnly* recursiveReadOnly",
    "io.k8s.api.core.v1.WeightedPodAffinityTerm": "weight podAffinityTerm",
    "io.k8s.api.core.v1.WindowsSecurityContextOptions": (
        "gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess"
    ),
    "io.k8s.api.discovery.v1.Endpoint": (
        "addresses conditions hostname targetRef deprecatedTopology nodeName zone hints"
    ),
    "io.k8s.api.discovery.v1.EndpointConditions": "ready* serving* terminating*",
    "io.k8s.api.discovery.v1.EndpointHints": "forZones",
    "io.k8s.api.discovery.v1.EndpointPort": "name protocol port* appProtocol",
    "io.k8s.api.discovery.v1.EndpointSlice": "metadata endpoints ports addressType",
    "io.k8s.api.discovery.v1.ForZone": "name",
    "io.k8s.api.events.v1.Event": (
        "metadata eventTime series reportingController reportingInstance action reason regarding related note "
        "type deprecatedSource deprecatedFirstTimestamp deprecatedLastTimestamp deprecatedCount"
    ),
    "io.k8s.api.events.v1.EventSeries": "count lastObservedTime",
    "io.k8s.api.policy.v1.Eviction": "metadata deleteOptions",
    "io.k8s.api.policy.v1.PodDisruptionBudget": "metadata spec status",
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": "minAvailable* selector maxUnavailable* unhealthyPodEvictionPolicy",
    "io.k8s.api.policy.v1.PodDisruptionBudgetStatus": (
        "observedGeneration disruptedPods disruptionsAllowed currentHealthy desiredHealthy expectedPods "
        "conditions"
    ),
    "io.k8s.api.rbac.v1.AggregationRule": "clusterRoleSelectors",
    "io.k8s.api.rbac.v1.ClusterRole": "metadata rules aggregationRule",
    "io.k8s.api.rbac.v1.ClusterRoleBinding": "metadata subjects roleRef",
    "io.k8s.api.rbac.v1.PolicyRule": "verbs apiGroups resources resourceNames nonResourceURLs",
    "io.k8s.api.rbac.v1.Role": "metadata rules",
    "io.k8s.api.rbac.v1.RoleBinding": "metadata subjects roleRef",
    "io.k8s.api.rbac.v1.RoleRef": "apiGroup kind name",
    "io.k8s.api.rbac.v1.Subject": "kind apiGroup name namespace",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "string",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition": (
        "type status observedGeneration lastTransitionTime reason message"
    ),
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": (
        "gracePeriodSeconds* preconditions orphanDependents* propagationPolicy dryRun "
        "ignoreStoreReadErrorWithClusterBreakingPotential"
    ),
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement": "key operator values",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "Raw",
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": "matchLabels matchExpressions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": "key operator values",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": (
        "manager operation apiVersion time - fieldsType fieldsV1 subresource"
    ),
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "seconds* nanos",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": (
        "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
        "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers - - "
        "managedFields"
    ),
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": "kind - name uid apiVersion controller* blockOwnerDeletion*",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions": "uid resourceVersion",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "seconds* nanos",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "type intVal strVal",
}
