import type { Scenario } from '../lib/scenario.js';
import { badInput } from './bad-input.js';
import { isolation } from './isolation.js';
import { killWorkers } from './kill-workers.js';
import { operator } from './operator.js';
import { poison } from './poison.js';
import { quotaRace } from './quota-race.js';
import { redisFreeze } from './redis-freeze.js';
import { redisRestart } from './redis-restart.js';

/** A scenario whose parameters are its own business: the runner only hands it its own profile. */
export interface AnyScenario {
  name: string;
  summary: string;
  profiles: Scenario<unknown>['profiles'];
  run: Scenario<unknown>['run'];
}

const erase = <P>(s: Scenario<P>): AnyScenario => s as unknown as AnyScenario;

/** Every scenario, in the order the runner and the CI test run them. */
export const SCENARIOS: AnyScenario[] = [erase(killWorkers), erase(redisRestart), erase(redisFreeze), erase(poison), erase(quotaRace), erase(badInput), erase(isolation), erase(operator)];
