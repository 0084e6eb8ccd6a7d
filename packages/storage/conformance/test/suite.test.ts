import { mapStorage } from '@strongroom/storage-conformance'
import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'

// The suite against the minimal reference adapter: no abstract-level, no watch, not durable.
storageConformanceSuite({ name: 'map (reference adapter)', factory: async () => mapStorage() })
