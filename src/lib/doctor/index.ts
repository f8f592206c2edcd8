export {CHECK_STATUSES, type CheckResult, type CheckStatus} from './check.js'
export {type DoctorOptions, type DoctorReport, runDoctor} from './doctor.js'
export {TWOLITER_EVENTS, type TwoliterEvent, type InstalledPlugin, type PluginReport} from './plugins.js'
export {renderReport} from './render.js'
