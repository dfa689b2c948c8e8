// Countdowns of the flash-sale page and banner.

/** "4:05", "1:02:03": what is left until deadline (an ISO time), never below zero. */
export function remaining(deadline, now = Date.now()) {
  const total = Math.max(0, Math.ceil((new Date(deadline).getTime() - now) / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
